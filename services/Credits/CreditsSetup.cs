using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.Contracts.Enrollment;
using TrainingPlatform.Services.Credits.Applications;
using TrainingPlatform.Services.Credits.Certificates;
using TrainingPlatform.Services.Credits.Compliance;
using TrainingPlatform.Services.Credits.Ledger;
using TrainingPlatform.Services.Credits.Policies;
using TrainingPlatform.Services.Credits.Reports;

namespace TrainingPlatform.Services.Credits;

public static class CreditsSetup
{
    /// <summary>
    /// Background work: the policy presets on first start, posting completed courses in batches, and keeping everyone's
    /// standing and certificates current.
    /// </summary>
    public static IHostApplicationBuilder AddCreditsFeatures(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHostedService<PolicyPresetSeeder>();
        builder.Services.AddInboxBatcher<CourseCompleted, CourseCompletedPosting>();
        // A deployment may keep the evaluation off the replicas that take requests and post credits
        // (Credits:Evaluator:Enabled=false there); one replica with it on keeps everyone's standing current.
        if (builder.Configuration.GetValue("Credits:Evaluator:Enabled", true))
        {
            builder.Services.AddHostedService<ComplianceEvaluator>();
        }
        builder.Services.AddHostedService<BulkCertificateWorker>();
        return builder;
    }

    /// <summary>All under one group, so no endpoint of the service, today's or a later one, reads a list with a null element (<see cref="NullElements"/>).</summary>
    public static IEndpointRouteBuilder MapCreditsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("").RefuseNullElements()
            .MapLedgerEndpoints()
            .MapApplicationEndpoints()
            .MapApprovalChainEndpoints()
            .MapComplianceEndpoints()
            .MapComplianceStatusEndpoints()
            .MapCertificateEndpoints()
            .MapBulkCertificateEndpoints()
            .MapReportEndpoints()
            .MapPolicyEndpoints()
            .MapParkedMessageEndpoints(CreditsApi.ServiceName)
            .MapAuditEndpoints(CreditsApi.ServiceName);
        return app;
    }
}

/// <summary>Writes the seed presets once the database is migrated.</summary>
internal sealed class PolicyPresetSeeder(Npgsql.NpgsqlDataSource db) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Migrations run in a hosted service that starts first; retry briefly in case they are still running.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await PolicyStore.SeedPresetsAsync(db, stoppingToken);
                return;
            }
            catch (Npgsql.PostgresException) when (attempt < 30)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }
}
