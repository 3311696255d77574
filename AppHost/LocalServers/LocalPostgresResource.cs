using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Npgsql;
using TrainingPlatform.LocalServers;

namespace TrainingPlatform.AppHost.LocalServers;

/// <summary>
/// Debian's PostgreSQL as an Aspire resource: DCP runs the server (as the postgres user when we are root) on
/// 127.0.0.1 with its data under the data folder, and references to it get its connection string, as they would
/// from Aspire's container-based <c>AddPostgres</c>, which needs a container engine these machines do not have.
/// </summary>
public sealed class LocalPostgresResource(string name, string command, string workingDirectory, int port, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public int Port { get; } = port;

    public ParameterResource Password { get; } = password;

    /// <summary>The streaming standby's port in cluster mode (<c>--cluster</c>); null when the server runs alone.</summary>
    public int? StandbyPort { get; init; }

    /// <summary>
    /// With a standby, both hosts and <c>Target Session Attributes=primary</c>: Npgsql opens connections on whichever is
    /// the primary, so after the standby is promoted the services reconnect to it by themselves.
    /// </summary>
    public ReferenceExpression ConnectionStringExpression => StandbyPort is { } standby
        ? ReferenceExpression.Create(
            $"Host=127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)},127.0.0.1:{standby.ToString(CultureInfo.InvariantCulture)};Target Session Attributes=primary;Username={LocalPostgres.SuperUser};Password={Password}")
        : ReferenceExpression.Create(
            $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username={LocalPostgres.SuperUser};Password={Password}");
}

/// <summary>One service's database on a PostgreSQL server, ours or one the operator gave.</summary>
public sealed class ServiceDatabaseResource(string name, IResourceWithConnectionString server)
    : Resource(name), IResourceWithParent<IResourceWithConnectionString>, IResourceWithConnectionString
{
    public IResourceWithConnectionString Parent { get; } = server;

    // Npgsql takes the last value of a repeated keyword, so this overrides a Database= the server's string may have.
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{Parent};Database={Name}");
}

public static class LocalPostgresExtensions
{
    /// <summary>
    /// The PostgreSQL server: the one in <c>ConnectionStrings:postgres</c> when the operator gave one, otherwise our own
    /// in <paramref name="dataDirectory"/>. Its cluster is created before the model is built (initdb, only on the first
    /// run), so DCP has nothing to do but run the server.
    /// </summary>
    public static async Task<IResourceBuilder<IResourceWithConnectionString>> AddPostgresServerAsync(
        this IDistributedApplicationBuilder builder, string name, string dataDirectory)
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name)))
        {
            return builder.AddConnectionString(name);
        }

        var port = FreePort.Next();
        var launch = await LocalPostgres.PrepareAsync(dataDirectory, port, new LocalPostgresOptions { Name = name },
            ConsoleLogSink.Shared, CancellationToken.None);
        var password = builder.AddParameter($"{name}-password", launch.Password, secret: true);
        var program = LaunchCommand.AsUser(new ServerProgram(launch.Program, launch.Arguments, new Dictionary<string, string?>()),
            launch.RunAsUser, StopSignal.Interrupt);

        var server = new LocalPostgresResource(name, program.Program, dataDirectory, port, password.Resource);
        return builder.AddServerProgram(server, program, port)
            .WithProbe($"{name}-accepts-connections", async cancellationToken =>
            {
                var probe = new NpgsqlConnectionStringBuilder(
                    await server.ConnectionStringExpression.GetValueAsync(cancellationToken)) { Pooling = false, Timeout = 3 };
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
            });
    }

    /// <summary>
    /// A database on the server, created once the server accepts connections (and never dropped), so a service that
    /// waits for it finds it there.
    /// </summary>
    public static IResourceBuilder<ServiceDatabaseResource> AddServiceDatabase(
        this IResourceBuilder<IResourceWithConnectionString> server, string name)
    {
        var database = new ServiceDatabaseResource(name, server.Resource);
        return server.ApplicationBuilder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                Properties = [new("database", name)],
                State = KnownResourceStates.Waiting,
            })
            .OnInitializeResource(async (resource, e, cancellationToken) =>
            {
                if (server.Resource is LocalPostgresResource)
                {
                    await e.Notifications.WaitForResourceHealthyAsync(server.Resource.Name, cancellationToken);
                }

                var admin = await server.Resource.ConnectionStringExpression.GetValueAsync(cancellationToken);
                try
                {
                    await new ExistingPostgres(admin!).EnsureDatabaseAsync(name, cancellationToken);
                    await e.Notifications.PublishUpdateAsync(resource, s => s with
                    {
                        State = KnownResourceStates.Running,
                        StartTimeStamp = DateTime.UtcNow,
                    });
                }
                catch (StartupException failure)
                {
                    e.Logger.LogError("{Failure}", failure.Message);
                    await e.Notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.FailedToStart });
                }
            });
    }
}
