using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.BuildingBlocks.Tests;

public sealed class MigrationTests
{
    [Fact]
    public async Task Replicas_starting_at_the_same_moment_migrate_the_database_once()
    {
        var servers = await TestServers.GetAsync();
        var connectionString = await servers.CreateDatabaseAsync("migrate");
        var migrations = new DatabaseMigrations(connectionString, typeof(MigrationTests).Assembly);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => migrations.RunAsync(NullLogger.Instance, CancellationToken.None))));

        await using var connection = new NpgsqlConnection(connectionString);
        var scripts = (await connection.QueryAsync<string>("select scriptname from schemaversions order by schemaversionsid")).ToList();
        // Each script once: the shared ones in their order, then the service's own.
        Assert.Equal(scripts.Distinct().Count(), scripts.Count);
        Assert.EndsWith("0001_outbox_and_inbox.sql", scripts[0]);
        Assert.EndsWith("0002_audit_records.sql", scripts[1]);
        Assert.EndsWith("0003_session_versions.sql", scripts[2]);
        Assert.Contains(scripts, s => s.EndsWith("0005_audit_pending.sql", StringComparison.Ordinal));
        Assert.Equal(scripts.OrderBy(s => s.Contains(".Persistence.Migrations.", StringComparison.Ordinal) ? 0 : 1).ThenBy(s => s, StringComparer.Ordinal), scripts);
        Assert.EndsWith("0001_test_effects.sql", scripts[^1]);
    }

    [Fact]
    public async Task A_service_pointed_at_a_database_that_does_not_exist_yet_creates_it()
    {
        var servers = await TestServers.GetAsync();
        var name = $"fresh_{Guid.NewGuid():N}";
        var connectionString = new NpgsqlConnectionStringBuilder(servers.PostgresAdmin) { Database = name }.ConnectionString;

        await new DatabaseMigrations(connectionString, typeof(MigrationTests).Assembly).RunAsync(NullLogger.Instance, CancellationToken.None);

        await using var connection = new NpgsqlConnection(connectionString);
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("select count(*) from outbox_messages"));
    }
}
