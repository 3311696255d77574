using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using TrainingPlatform.LocalServers;

namespace TrainingPlatform.AppHost.LocalServers;

/// <summary>
/// The three RabbitMQ nodes of cluster mode as one thing to reference: its connection string is the first node's AMQP
/// URI (the credentials and virtual host; the nodes share them), and it is running once every node is healthy.
/// </summary>
public sealed class RabbitMqClusterResource(string name, LocalRabbitMqResource firstNode, IReadOnlyList<LocalRabbitMqResource> nodes)
    : Resource(name), IResourceWithConnectionString
{
    public IReadOnlyList<LocalRabbitMqResource> Nodes { get; } = nodes;

    /// <summary>What the services are given as <c>Messaging:ClusterNodes</c>: every node's AMQP address.</summary>
    public string NodeAddresses => string.Join(',', Nodes.Select(n => $"127.0.0.1:{n.Port.ToString(CultureInfo.InvariantCulture)}"));

    public ReferenceExpression ConnectionStringExpression => firstNode.ConnectionStringExpression;
}

/// <summary>
/// Cluster mode (<c>--cluster</c>): what a single server of the default mode becomes when losing one must not stop the
/// platform. Everything lives in folders of its own under the data folder, so the two modes never share state.
/// </summary>
public static class LocalClusterExtensions
{
    public const int RabbitMqNodes = 3;

    /// <summary>
    /// PostgreSQL as a primary and a synchronous streaming standby, each its own resource on its own port. The standby
    /// copies the primary (pg_basebackup) on its first start; every commit on the primary waits until the standby has
    /// it. References get both hosts with <c>Target Session Attributes=primary</c>; databases are created on the
    /// primary and reach the standby by replication.
    /// </summary>
    public static async Task<IResourceBuilder<IResourceWithConnectionString>> AddPostgresClusterAsync(
        this IDistributedApplicationBuilder builder, string name, string dataDirectory)
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name)))
        {
            return builder.AddConnectionString(name);
        }

        var ports = FreePort.Allocate(2);
        var (primaryPort, standbyPort) = (ports[0], ports[1]);
        var primaryDirectory = Path.Combine(dataDirectory, "primary");
        var launch = await LocalPostgres.PrepareAsync(primaryDirectory, primaryPort,
            new LocalPostgresOptions { Name = name, Settings = PostgresStandby.PrimarySettings }, ConsoleLogSink.Shared, CancellationToken.None);
        var password = builder.AddParameter($"{name}-password", launch.Password, secret: true);
        var primaryProgram = LaunchCommand.AsUser(new ServerProgram(launch.Program, launch.Arguments, new Dictionary<string, string?>()),
            launch.RunAsUser, StopSignal.Interrupt);
        var primary = new LocalPostgresResource(name, primaryProgram.Program, primaryDirectory, primaryPort, password.Resource)
        {
            StandbyPort = standbyPort,
        };
        var primaryBuilder = builder.AddServerProgram(primary, primaryProgram, primaryPort)
            .WithProbe($"{name}-accepts-connections", cancellationToken => AcceptsConnectionsAsync(primaryPort, launch.Password, cancellationToken));

        var standbyDirectory = Path.Combine(dataDirectory, "standby");
        var standbyLaunch = await PostgresStandby.PrepareAsync(standbyDirectory, standbyPort, primaryPort, launch.Password,
            new LocalPostgresOptions { Name = $"{name}-standby" }, ConsoleLogSink.Shared, CancellationToken.None);
        var standbyProgram = LaunchCommand.AsUser(new ServerProgram(standbyLaunch.Program, standbyLaunch.Arguments, new Dictionary<string, string?>()),
            standbyLaunch.RunAsUser, StopSignal.Interrupt);
        builder.AddServerProgram(new ExecutableResource($"{name}-standby", standbyProgram.Program, standbyDirectory), standbyProgram, standbyPort)
            .WithProbe($"{name}-standby-accepts-connections", cancellationToken => AcceptsConnectionsAsync(standbyPort, launch.Password, cancellationToken))
            // Its first start copies the primary.
            .WaitFor(primaryBuilder);
        return primaryBuilder;
    }

    /// <summary>
    /// Three RabbitMQ nodes (rabbit-1/2/3@localhost), each its own resource with its own AMQP, management and
    /// distribution ports and its own folder, formed into one cluster by classic-config peer discovery and started one
    /// after another. They share one private epmd (Erlang nodes find each other through it), one set of credentials,
    /// and an Erlang cookie generated for this run (kept only in the nodes' folders).
    /// </summary>
    public static async Task<IResourceBuilder<IResourceWithConnectionString>> AddMessageBrokerClusterAsync(
        this IDistributedApplicationBuilder builder, string name, string dataDirectory)
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name)))
        {
            return builder.AddConnectionString(name);
        }

        Directory.CreateDirectory(dataDirectory);
        // Users live in the cluster's replicated database: whichever node creates it applies default_user, so every
        // node's configuration names the same one.
        LocalRabbitMq.CredentialsFor(dataDirectory);
        var nodeNames = Enumerable.Range(1, RabbitMqNodes).Select(i => $"rabbit-{i.ToString(CultureInfo.InvariantCulture)}").ToList();
        var membership = new RabbitMqClusterMembership([.. nodeNames.Select(n => $"{n}@localhost")], SecretFile.NewSecret(40));
        var epmdPort = FreePort.Next();

        var launches = new List<(RabbitMqLaunch Launch, RabbitMqPorts Ports, int ManagementPort, string Folder)>();
        foreach (var node in nodeNames)
        {
            var folder = Path.Combine(dataDirectory, node);
            Directory.CreateDirectory(folder);
            if (!File.Exists(Path.Combine(folder, "credentials")))
            {
                File.Copy(Path.Combine(dataDirectory, "credentials"), Path.Combine(folder, "credentials"));
            }

            var free = FreePort.Allocate(3);
            var ports = new RabbitMqPorts(Amqp: free[0], Distribution: free[1], Epmd: epmdPort);
            var launch = await LocalRabbitMq.PrepareAsync(folder, ports,
                new LocalRabbitMqOptions { Name = $"{name}-{node}", NodeName = node, ManagementPort = free[2], Cluster = membership },
                ConsoleLogSink.Shared, CancellationToken.None);
            launches.Add((launch, ports, free[2], folder));
        }

        var epmdProgram = LaunchCommand.AsUser(launches[0].Launch.Epmd, launches[0].Launch.RunAsUser, StopSignal.Terminate);
        var epmd = builder
            .AddServerProgram(new ExecutableResource($"{name}-epmd", epmdProgram.Program, dataDirectory), epmdProgram, epmdPort)
            .WithProbe($"{name}-epmd-answers", async cancellationToken => Answered(await EpmdProbe.AnswersAsync(epmdPort, cancellationToken)));

        var password = builder.AddParameter($"{name}-password", launches[0].Launch.Password, secret: true);
        var nodes = new List<LocalRabbitMqResource>();
        IResourceBuilder<LocalRabbitMqResource>? previous = null;
        foreach (var (launch, ports, managementPort, folder) in launches)
        {
            var program = LaunchCommand.AsUser(launch.Server, launch.RunAsUser, StopSignal.Terminate);
            var resourceName = $"{name}-{launch.NodeName.Split('@')[0]}";
            var node = builder
                .AddServerProgram(new LocalRabbitMqResource(resourceName, program.Program, folder, ports.Amqp, launch.User, password.Resource),
                    program, ports.Amqp)
                .WithProbe($"{resourceName}-accepts-connections",
                    async cancellationToken => Answered(await TcpProbe.CanConnectAsync(ports.Amqp, cancellationToken)))
                // The management UI and HTTP API (queues, their types and members; the cluster's nodes).
                .WithEndpoint(name: "management", port: managementPort, targetPort: managementPort, scheme: "http", isProxied: false)
                .WaitFor(epmd);
            // One node at a time, each once the one before accepts connections: on the first run the first node forms
            // the cluster and the others join it (started together, each might form a cluster of its own); on later
            // runs the first boots without waiting for its peers (RabbitMqClusterMembership.BootsFirst), and RabbitMQ
            // 3.10 can crash a node that syncs its feature flags with a peer still booting.
            if (previous is not null)
            {
                node.WaitFor(previous);
            }

            previous = node;
            nodes.Add(node.Resource);
        }

        var cluster = new RabbitMqClusterResource(name, nodes[0], nodes);
        return builder.AddResource(cluster)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "RabbitMQCluster",
                Properties = [new("nodes", cluster.NodeAddresses)],
                State = KnownResourceStates.Waiting,
            })
            .OnInitializeResource(async (resource, e, cancellationToken) =>
            {
                foreach (var node in nodes)
                {
                    await e.Notifications.WaitForResourceHealthyAsync(node.Name, cancellationToken);
                }

                await e.Notifications.PublishUpdateAsync(resource, s => s with
                {
                    State = KnownResourceStates.Running,
                    StartTimeStamp = DateTime.UtcNow,
                });
            });
    }

    /// <summary>
    /// What a service needs to ride out a lost broker node: every node's address and quorum queues. Nothing for a broker
    /// the operator gave (ConnectionStrings__messaging): its own settings come with it.
    /// </summary>
    public static IResourceBuilder<T> WithBrokerCluster<T>(this IResourceBuilder<T> service, IResourceBuilder<IResourceWithConnectionString> messaging)
        where T : IResourceWithEnvironment
    {
        if (messaging.Resource is RabbitMqClusterResource cluster)
        {
            service.WithEnvironment("Messaging__ClusterNodes", cluster.NodeAddresses)
                .WithEnvironment("Messaging__QuorumQueues", "true");
        }

        return service;
    }

    private static async Task<HealthCheckResult> AcceptsConnectionsAsync(int port, string password, CancellationToken cancellationToken)
    {
        var probe = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = LocalPostgres.SuperUser,
            Password = password,
            Database = "postgres",
            Pooling = false,
            Timeout = 3,
        };
        try
        {
            await using var connection = new NpgsqlConnection(probe.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (NpgsqlException e)
        {
            return HealthCheckResult.Unhealthy(e.Message);
        }
    }

    private static HealthCheckResult Answered(bool answered) =>
        answered ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("not answering yet");
}
