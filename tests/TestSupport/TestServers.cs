using Npgsql;

namespace TrainingPlatform.TestSupport;

/// <summary>
/// The real PostgreSQL and RabbitMQ the integration tests run against, shared by every test in the process.
/// When <c>ConnectionStrings__postgres</c> and <c>ConnectionStrings__messaging</c> are set (the README's test
/// command starts both servers once and sets them), those are used; otherwise the tests start their own with the
/// AppHost's infrastructure code, in a temporary folder, and stop them when the process exits.
/// </summary>
public sealed class TestServers
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static TestServers? _shared;

    private TestServers(string postgresAdmin, string messaging)
    {
        PostgresAdmin = postgresAdmin;
        Messaging = messaging;
    }

    /// <summary>Connection string of a superuser on the test PostgreSQL server.</summary>
    public string PostgresAdmin { get; }

    /// <summary>AMQP URI of the test RabbitMQ broker.</summary>
    public string Messaging { get; }

    public static async Task<TestServers> GetAsync()
    {
        await Gate.WaitAsync();
        try
        {
            return _shared ??= await StartAsync();
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>A new, empty database with a unique name; each test owns its own.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)].ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(PostgresAdmin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"create database \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(PostgresAdmin) { Database = name }.ConnectionString;
    }

    private static async Task<TestServers> StartAsync()
    {
        var postgres = Environment.GetEnvironmentVariable("ConnectionStrings__postgres");
        var messaging = Environment.GetEnvironmentVariable("ConnectionStrings__messaging");
        if (!string.IsNullOrWhiteSpace(postgres) && !string.IsNullOrWhiteSpace(messaging))
        {
            return new TestServers(postgres, messaging);
        }

        var servers = await LocalTestServers.StartAsync();
        return new TestServers(servers.PostgresAdmin, servers.Messaging);
    }
}
