using Npgsql;
using TrainingPlatform.LocalServers;

namespace TrainingPlatform.TestSupport;

/// <summary>
/// A private PostgreSQL server that a test may stop and start again on the same port and data, to play a database
/// outage without disturbing the shared server every other test uses. Deleted when disposed.
/// </summary>
public sealed class RestartablePostgres : IAsyncDisposable
{
    private readonly string _root;
    private readonly LocalPostgresOptions _options;
    private LocalPostgres? _server;

    private RestartablePostgres(string root, LocalPostgresOptions options, LocalPostgres server)
    {
        _root = root;
        _options = options;
        _server = server;
        AdminConnectionString = server.AdminConnectionString;
    }

    /// <summary>Stays the same across restarts, so connection pools reconnect to the same address.</summary>
    public string AdminConnectionString { get; }

    public static async Task<RestartablePostgres> StartAsync(string name)
    {
        // Named like the shared servers' folders, so a killed test run's leftovers are swept the same way.
        var parent = Environment.GetEnvironmentVariable("TRAININGPLATFORM_TEST_ROOT") is { Length: > 0 } given ? given : Path.GetTempPath();
        var root = Path.Combine(parent, $"trainingplatform-tests-{Guid.NewGuid():N}"[..40]);
        var options = new LocalPostgresOptions
        {
            DataDirectory = Path.Combine(root, "postgres"),
            Port = FreePort.Next(),
            Ephemeral = true,
            Name = name,
        };
        try
        {
            return new RestartablePostgres(root, options, await LocalPostgres.StartAsync(options, NullLogSink.Instance));
        }
        catch
        {
            DeleteQuietly(root);
            throw;
        }
    }

    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"create database \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>A fast shutdown, as an operator's restart or a failover does: open sessions are terminated (57P01).</summary>
    public async Task StopAsync()
    {
        if (_server is { } server)
        {
            _server = null;
            await server.DisposeAsync();
        }
    }

    public async Task StartAgainAsync()
    {
        if (_server is null)
        {
            _server = await LocalPostgres.StartAsync(_options, NullLogSink.Instance);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        DeleteQuietly(_root);
    }

    private static void DeleteQuietly(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Swept by a later run (LocalTestServers).
        }
    }
}
