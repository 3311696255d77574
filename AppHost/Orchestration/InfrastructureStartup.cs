using Npgsql;
using TrainingPlatform.AppHost.Infrastructure;

namespace TrainingPlatform.AppHost.Orchestration;

/// <summary>The database server and broker the services use, with their service databases created.</summary>
internal sealed record InfrastructureEndpoints(IPostgresServer Postgres, IRabbitMqServer RabbitMq);

/// <summary>
/// Starts PostgreSQL and RabbitMQ side by side (each takes seconds), or uses the ones given by
/// ConnectionStrings__postgres / ConnectionStrings__messaging, then creates one database per service.
/// </summary>
internal sealed class InfrastructureStartup(
    RepositoryLayout repository, AppHostConsole console, ShutdownSequence running, Action<ManagedProcess> watchForCrash)
{
    public const string PostgresStage = "postgres";
    public const string RabbitMqStage = "rabbitmq";

    public async Task<InfrastructureEndpoints> StartAsync(CancellationToken cancellationToken)
    {
        IPostgresServer? postgres = null;
        IRabbitMqServer? rabbitMq = null;
        await Concurrently.RunAsync(cancellationToken,
        [
            async token => postgres = await StartPostgresAsync(token),
            async token => rabbitMq = await StartRabbitMqAsync(token),
        ]);

        // One at a time: concurrent CREATE DATABASE can trip over template1 being in use.
        foreach (var service in ServiceCatalog.WithDatabases)
        {
            await postgres!.EnsureDatabaseAsync(service.DatabaseName, cancellationToken);
        }

        console.Info($"databases ready: {string.Join(", ", ServiceCatalog.WithDatabases.Select(s => s.DatabaseName))}");
        return new InfrastructureEndpoints(postgres!, rabbitMq!);
    }

    private async Task<IPostgresServer> StartPostgresAsync(CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable("ConnectionStrings__postgres") is { Length: > 0 } existing)
        {
            var target = new NpgsqlConnectionStringBuilder(existing);
            console.Info($"using the PostgreSQL at {target.Host}:{target.Port} from ConnectionStrings__postgres");
            return LocalPostgres.UseExisting(existing);
        }

        var postgres = await LocalPostgres.StartAsync(new LocalPostgresOptions
        {
            DataDirectory = Path.Combine(repository.DataDirectory, "postgres"),
        }, console.Sink, cancellationToken);
        running.Register(PostgresStage, "postgres", async () => await postgres.DisposeAsync());
        watchForCrash(postgres.Process);
        console.Info($"PostgreSQL ready on 127.0.0.1:{postgres.Port} (data: {postgres.DataDirectory})");
        return postgres;
    }

    private async Task<IRabbitMqServer> StartRabbitMqAsync(CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable("ConnectionStrings__messaging") is { Length: > 0 } existing)
        {
            console.Info($"using the RabbitMQ at {DescribeAmqp(existing)} from ConnectionStrings__messaging");
            return LocalRabbitMq.UseExisting(existing);
        }

        var rabbitMq = await LocalRabbitMq.StartAsync(new LocalRabbitMqOptions
        {
            DataDirectory = Path.Combine(repository.DataDirectory, "rabbitmq"),
            // Fixed name: RabbitMQ keeps its state per node name, and ports change from run to run.
            NodeName = "trainingplatform",
        }, console.Sink, cancellationToken);
        running.Register(RabbitMqStage, "rabbitmq", async () => await rabbitMq.DisposeAsync());
        watchForCrash(rabbitMq.Process);
        console.Info($"RabbitMQ ready on 127.0.0.1:{rabbitMq.AmqpPort} (node {rabbitMq.NodeName}, data: {rabbitMq.DataDirectory})");
        return rabbitMq;
    }

    /// <summary>Host and port only — the URI carries the password.</summary>
    private static string DescribeAmqp(string uri) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var parsed) ? $"{parsed.Host}:{parsed.Port}" : "(unparsable URI)";
}
