using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace TrainingPlatform.AppHost.Tests;

/// <summary>
/// The AppHost's cluster mode (<c>--cluster --infra-only</c>, only the servers): three RabbitMQ nodes that report one
/// cluster and take a service's receive queue as a quorum queue, and PostgreSQL whose primary has its standby in sync,
/// so what the primary committed is on the standby — and, the primary killed and the standby promoted, a client given
/// the services' multi-host connection string writes again without being told where.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ClusterModeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Cluster_mode_runs_a_rabbitmq_cluster_with_quorum_queues_and_a_synchronous_postgres_standby()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("trainingplatform-cluster-").FullName;
        File.SetUnixFileMode(dataDirectory, (UnixFileMode)0b111_101_101);
        Environment.SetEnvironmentVariable("ConnectionStrings__postgres", null);
        Environment.SetEnvironmentVariable("ConnectionStrings__messaging", null);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--cluster", "--infra-only", "--data-dir", dataDirectory]);
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning)
            .AddFilter("TrainingPlatform.AppHost.Resources", LogLevel.None)
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None));
        await using var app = await builder.BuildAsync();
        var log = Follow(app);
        try
        {
            using (var patience = new CancellationTokenSource(Patience))
            {
                await app.StartAsync(patience.Token);
                foreach (var resource in new[] { "postgres", "postgres-standby", "messaging-rabbit-1", "messaging-rabbit-2", "messaging-rabbit-3", "messaging" })
                {
                    await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, patience.Token);
                }
            }

            await TheBrokerIsOneClusterWithQuorumQueuesAsync(app);
            await ThePrimaryCommitsOnlyWhatTheStandbyHasAsync(app);
        }
        catch
        {
            output.WriteLine(string.Join('\n', log.TakeLast(120)));
            throw;
        }
        finally
        {
            await app.StopAsync();
            TryDelete(dataDirectory);
        }
    }

    private async Task TheBrokerIsOneClusterWithQuorumQueuesAsync(DistributedApplication app)
    {
        var amqp = BrokerAddress.Parse((await app.GetConnectionStringAsync("messaging"))!);
        var management = new HttpClient { BaseAddress = app.GetEndpoint("messaging-rabbit-2", "management") };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{amqp.Username}:{amqp.Password}")));

        // Asked of the second node: the cluster as every node sees it.
        var nodes = await GetJsonAsync(management, "/api/nodes");
        Assert.Equal(["rabbit-1@localhost", "rabbit-2@localhost", "rabbit-3@localhost"],
            nodes.EnumerateArray().Select(n => n.GetProperty("name").GetString()).Order());
        Assert.All(nodes.EnumerateArray(), n => Assert.True(n.GetProperty("running").GetBoolean()));

        // A bus configured the way a service's is in cluster mode (the settings the AppHost hands the services), with
        // one consumer: its queue is a quorum queue with members on the nodes, and a message still goes through.
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        var cluster = model.Resources.OfType<TrainingPlatform.AppHost.LocalServers.RabbitMqClusterResource>().Single();
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [BrokerCluster.NodesKey] = cluster.NodeAddresses,
            [BrokerCluster.QuorumQueuesKey] = "true",
        }).Build();
        var brokerCluster = BrokerCluster.From(settings);
        Assert.Equal(3, brokerCluster.Nodes.Count);

        var received = new TaskCompletionSource<ClusterProbeSent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var services = new ServiceCollection();
        services.AddSingleton(received);
        services.AddMassTransit(bus =>
        {
            bus.DisableUsageTelemetry();
            bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter("clustertest", includeNamespace: false));
            bus.AddConsumer<ClusterProbeConsumer>();
            bus.AddConfigureEndpointsCallback((_, _, endpoint) => brokerCluster.ConfigureEndpoint(endpoint));
            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(amqp.Host, amqp.Port, amqp.VirtualHost, host =>
                {
                    host.Username(amqp.Username);
                    host.Password(amqp.Password);
                    brokerCluster.ConfigureHost(host);
                });
                rabbit.ConfigureEndpoints(context);
            });
        });
        await using var provider = services.BuildServiceProvider();
        var busControl = provider.GetRequiredService<IBusControl>();
        await busControl.StartAsync(new CancellationTokenSource(Patience).Token);
        try
        {
            await busControl.Publish(new ClusterProbeSent("你好"));
            Assert.Equal("你好", (await received.Task.WaitAsync(Patience)).Text);

            var queue = await GetJsonAsync(management, "/api/queues/%2F/clustertest-cluster-probe");
            output.WriteLine($"queue: type {queue.GetProperty("type")}, members {queue.GetProperty("members")}");
            Assert.Equal("quorum", queue.GetProperty("type").GetString());
            Assert.Equal(3, queue.GetProperty("members").GetArrayLength());
        }
        finally
        {
            await busControl.StopAsync();
        }
    }

    private async Task ThePrimaryCommitsOnlyWhatTheStandbyHasAsync(DistributedApplication app)
    {
        var connectionString = (await app.GetConnectionStringAsync("postgres"))!;
        var services = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Timeout = 5 };
        Assert.Equal("primary", services.TargetSessionAttributes, ignoreCase: true);
        var hosts = services.Host!.Split(',');
        Assert.Equal(2, hosts.Length);
        string Direct(string hostAndPort) => new NpgsqlConnectionStringBuilder(services.ConnectionString)
        {
            Host = hostAndPort.Split(':')[0],
            Port = int.Parse(hostAndPort.Split(':')[1], CultureInfo.InvariantCulture),
            TargetSessionAttributes = null,
            Pooling = false,
        }.ConnectionString;
        var (primary, standby) = (Direct(hosts[0]), Direct(hosts[1]));

        await using (var connection = new NpgsqlConnection(primary))
        {
            await connection.OpenAsync();
            await Eventually.HoldsAsync(async () =>
                await Scalar<string?>(connection, "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'") == "sync",
                Patience, "the primary lists standby1 as its synchronous standby");
            await Scalar<int>(connection, "CREATE TABLE cluster_probe (id int PRIMARY KEY, note text NOT NULL); SELECT 0");
            await Scalar<int>(connection, "INSERT INTO cluster_probe VALUES (1, '提交于主库') RETURNING id");
        }

        await using (var connection = new NpgsqlConnection(standby))
        {
            await connection.OpenAsync();
            Assert.True(await Scalar<bool>(connection, "SELECT pg_is_in_recovery()"));
            // A synchronous commit is on the standby's disk when it returns; replaying it there follows at once.
            await Eventually.HoldsAsync(async () =>
            {
                try
                {
                    return await Scalar<string?>(connection, "SELECT note FROM cluster_probe WHERE id = 1") == "提交于主库";
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
                {
                    return false;
                }
            }, Patience, "the standby has the row committed on the primary");
        }

        // The primary dies; the standby is promoted. A data source on the services' connection string finds it.
        var primaryPid = ProcessIdOf(app, "postgres");
        output.WriteLine($"kill -9 {primaryPid}");
        System.Diagnostics.Process.GetProcessById(primaryPid).Kill();
        await using (var connection = new NpgsqlConnection(standby))
        {
            await connection.OpenAsync();
            Assert.True(await Scalar<bool>(connection, "SELECT pg_promote(wait => true)"));
        }

        await using var dataSource = NpgsqlDataSource.Create(services.ConnectionString);
        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync();
                return await Scalar<int>(connection, "INSERT INTO cluster_probe VALUES (2, '写入提升后的主库') RETURNING id") == 2;
            }
            catch (NpgsqlException e)
            {
                output.WriteLine($"not yet: {e.Message}");
                return false;
            }
        }, Patience, "a write through the multi-host connection string after the promotion");
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            Assert.Equal(2L, await Scalar<long>(connection, "SELECT count(*) FROM cluster_probe"));
        }
    }

    private static int ProcessIdOf(DistributedApplication app, string resource)
    {
        var notifications = app.ResourceNotifications;
        Assert.True(notifications.TryGetCurrentState(resource, out var state));
        var pid = state.Snapshot.Properties.First(p => p.Name.EndsWith(".pid", StringComparison.Ordinal)).Value;
        return int.Parse(pid!.ToString()!, CultureInfo.InvariantCulture);
    }

    private static async Task<T> Scalar<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default! : (T)value;
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static ConcurrentQueue<string> Follow(DistributedApplication app)
    {
        var log = new ConcurrentQueue<string>();
        var loggers = app.Services.GetRequiredService<ResourceLoggerService>();
        var followed = new ConcurrentDictionary<string, bool>();
        _ = Task.Run(async () =>
        {
            await foreach (var update in app.ResourceNotifications.WatchAsync())
            {
                if (followed.TryAdd(update.ResourceId, true))
                {
                    _ = Task.Run(async () =>
                    {
                        await foreach (var batch in loggers.WatchAsync(update.ResourceId))
                        {
                            foreach (var line in batch)
                            {
                                log.Enqueue($"[{update.Resource.Name}] {line.Content}");
                            }
                        }
                    });
                }
            }
        });
        return log;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A temp folder left behind is untidy, not harmful.
        }
    }
}

public sealed record ClusterProbeSent(string Text);

public sealed class ClusterProbeConsumer(TaskCompletionSource<ClusterProbeSent> received) : IConsumer<ClusterProbeSent>
{
    public Task Consume(ConsumeContext<ClusterProbeSent> context)
    {
        received.TrySetResult(context.Message);
        return Task.CompletedTask;
    }
}
