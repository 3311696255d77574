using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace TrainingPlatform.BuildingBlocks.Persistence;

public static class ServiceDatabase
{
    /// <summary>
    /// The service's own PostgreSQL database, from <c>ConnectionStrings:&lt;connectionName&gt;</c> (the Aspire
    /// convention): a pooled <see cref="NpgsqlDataSource"/>, a readiness check, and the service's numbered SQL
    /// scripts (embedded under <c>Migrations/</c> in <paramref name="migrationsAssembly"/>) run at start-up,
    /// before anything else touches the database.
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

        builder.Services.AddSingleton(sp =>
        {
            var dataSourceBuilder = new NpgsqlDataSourceBuilder(connectionString);
            dataSourceBuilder.UseLoggerFactory(sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>());
            return dataSourceBuilder.Build();
        });

        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return builder;
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
