using System.Reflection;
using DbUp;
using DbUp.Engine;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace TrainingPlatform.BuildingBlocks.Persistence;

/// <summary>
/// Runs the building blocks' scripts, then the service's own numbered scripts, each once (DbUp's journal).
/// Safe when replicas start together: the database is created if missing (losing a creation race is fine) and
/// the scripts run under a PostgreSQL advisory lock, so one replica migrates while the others wait and then
/// find nothing left to do.
/// </summary>
public sealed class DatabaseMigrations(string connectionString, Assembly serviceAssembly)
{
    // Any constant works; it only has to be the same for every replica of every service.
    private const long MigrationLockKey = 0x7472_6169_6e69_6e67; // "training"

    public string ConnectionString { get; } = connectionString;

    // Migrations run once, at start-up: pooled, their connections would idle in Npgsql's pool for minutes after,
    // two per service instance, which a busy server (or a test run starting a hundred instances) runs out of.
    private string Unpooled => new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString;

    public async Task RunAsync(ILogger logger, CancellationToken cancellationToken)
    {
        await EnsureDatabaseExistsAsync(logger, cancellationToken);

        await using var lockConnection = new NpgsqlConnection(Unpooled);
        await lockConnection.OpenAsync(cancellationToken);
        await using (var take = new NpgsqlCommand("select pg_advisory_lock(@key)", lockConnection))
        {
            take.Parameters.AddWithValue("key", MigrationLockKey);
            await take.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            var result = DeployChanges.To.PostgresqlDatabase(Unpooled)
                .WithScriptsEmbeddedInAssembly(typeof(DatabaseMigrations).Assembly, IsMigration, new SqlScriptOptions { RunGroupOrder = 0 })
                .WithScriptsEmbeddedInAssembly(serviceAssembly, IsMigration, new SqlScriptOptions { RunGroupOrder = 1 })
                .WithTransactionPerScript()
                .LogTo(logger)
                .Build()
                .PerformUpgrade();

            if (!result.Successful)
            {
                throw new InvalidOperationException(
                    $"Database migration failed in script '{result.ErrorScript?.Name}': {result.Error.Message}", result.Error);
            }
        }
        finally
        {
            await using var release = new NpgsqlCommand("select pg_advisory_unlock(@key)", lockConnection);
            release.Parameters.AddWithValue("key", MigrationLockKey);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static bool IsMigration(string resourceName) =>
        resourceName.Contains(".Migrations.", StringComparison.Ordinal) && resourceName.EndsWith(".sql", StringComparison.Ordinal);

    private async Task EnsureDatabaseExistsAsync(ILogger logger, CancellationToken cancellationToken)
    {
        var target = new NpgsqlConnectionStringBuilder(ConnectionString);
        try
        {
            await using var probe = new NpgsqlConnection(Unpooled);
            await probe.OpenAsync(cancellationToken);
            return;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            logger.LogInformation("Database {Database} does not exist yet; creating it", target.Database);
        }

        var admin = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        try
        {
            var quoted = "\"" + target.Database!.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            await using var create = new NpgsqlCommand($"create database {quoted}", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Another replica created it first.
        }
    }
}

internal sealed class DatabaseMigrationService(DatabaseMigrations migrations, ILogger<DatabaseMigrations> logger) : IHostedService
{
    // Hosted services start in registration order and this one is registered before messaging, so the tables
    // exist before the bus or the outbox dispatcher touch them, and before Kestrel takes requests.
    public Task StartAsync(CancellationToken cancellationToken) => migrations.RunAsync(logger, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
