using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.BuildingBlocks.Tests;

public sealed class ServiceDatabaseTests
{
    [Fact]
    public async Task A_service_statement_run_again_is_prepared_and_a_pooled_connection_keeps_it()
    {
        var servers = await TestServers.GetAsync();
        var connectionString = await servers.CreateDatabaseAsync("prepared");
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:prepared"] = connectionString;
        builder.AddServiceDatabase("prepared", typeof(ServiceDatabaseTests).Assembly);
        using var host = builder.Build();
        var db = host.Services.GetRequiredService<NpgsqlDataSource>();

        for (var i = 0; i < 3; i++)
        {
            // Each time from the pool, as a request would take it.
            await using var connection = await db.OpenConnectionAsync();
            Assert.Equal(42, await connection.ExecuteScalarAsync<int>("select @Answer::int", new { Answer = 42 }));
        }
        await using (var connection = await db.OpenConnectionAsync())
        {
            Assert.Contains(await connection.QueryAsync<string>("select statement from pg_prepared_statements"),
                s => s.Contains("$1::int", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("Host=db", 256, true)]
    [InlineData("Host=db;Max Auto Prepare=0;No Reset On Close=false", 0, false)]
    [InlineData("Host=db;maxautoprepare=10", 10, true)]
    public void What_the_connection_string_says_wins(string connectionString, int maxAutoPrepare, bool noResetOnClose)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        ServiceDatabase.PrepareForHotPaths(settings);
        Assert.Equal((maxAutoPrepare, noResetOnClose), (settings.MaxAutoPrepare, settings.NoResetOnClose));
    }
}
