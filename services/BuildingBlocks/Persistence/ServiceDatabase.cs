using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.BuildingBlocks.Persistence;

public static class ServiceDatabase
{
    /// <summary>
    /// The service's own PostgreSQL database, from <c>ConnectionStrings:&lt;connectionName&gt;</c> (the Aspire
    /// convention): a pooled <see cref="NpgsqlDataSource"/>, a readiness check, and the service's numbered SQL
    /// scripts (embedded under <c>Migrations/</c> in <paramref name="migrationsAssembly"/>) run at start-up,
    /// before anything else touches the database. Also the security events recorded in the audit trail there
    /// (<see cref="SecurityEvents"/>).
    /// </summary>
    public static TBuilder AddServiceDatabase<TBuilder>(this TBuilder builder, string connectionName, Assembly migrationsAssembly)
        where TBuilder : IHostApplicationBuilder
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"Missing connection string 'ConnectionStrings:{connectionName}' (env ConnectionStrings__{connectionName}). " +
                "Start the platform through the AppHost, or set it to a PostgreSQL connection string.");
        }

        DapperSetup.ConfigureOnce();

        builder.Services.AddSingleton(new DatabaseMigrations(connectionString, migrationsAssembly));
        builder.Services.AddHostedService<DatabaseMigrationService>();
        // After the migrations: every service refuses the tokens of ended sessions, from its own copy in memory.
        builder.Services.AddSessionVersions();

        builder.Services.AddSingleton(sp =>
        {
            var dataSourceBuilder = new NpgsqlDataSourceBuilder(connectionString);
            PrepareForHotPaths(dataSourceBuilder.ConnectionStringBuilder);
            dataSourceBuilder.UseLoggerFactory(sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>());
            return dataSourceBuilder.Build();
        });

        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        // Refused tokens and 403s go to the audit trail, which lives in this database: every service gets them here.
        builder.Services.AddSecurityEvents();
        // Every service's database has the shared audit tables; its audited actions leave records for this to chain.
        builder.Services.AddAuditSealer();
        return builder;
    }

    /// <summary>
    /// Unless the connection string says otherwise: statements run twice are prepared on the server (a click on
    /// course-selection day then skips PostgreSQL's parse and plan, as pgbench's prepared mode does), and a connection
    /// going back to the pool is not reset, which would cost three statements per checkout. Nothing here leaves state
    /// on a session: settings are <c>set local</c>, and the one session lock (seeding, migrations) is released in a
    /// <c>finally</c>.
    /// </summary>
    internal static void PrepareForHotPaths(NpgsqlConnectionStringBuilder settings)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = settings.ConnectionString }.Keys
            .Cast<string>().Select(k => k.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant()).ToHashSet();
        if (!given.Contains("maxautoprepare"))
        {
            settings.MaxAutoPrepare = 256;
            settings.AutoPrepareMinUsages = 2;
        }
        if (!given.Contains("noresetonclose"))
        {
            settings.NoResetOnClose = true;
        }
    }
}

internal sealed class DatabaseHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("select 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "数据库不可用 (database unreachable)", ex);
        }
    }
}
