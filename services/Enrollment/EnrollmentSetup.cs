using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.Services.Enrollment.Electives;
using TrainingPlatform.Services.Enrollment.MyYear;
using TrainingPlatform.Services.Enrollment.OptOuts;
using TrainingPlatform.Services.Enrollment.Progress;
using TrainingPlatform.Services.Enrollment.Reports;
using TrainingPlatform.Services.Enrollment.Required;

namespace TrainingPlatform.Services.Enrollment;

public static class EnrollmentSetup
{
    /// <summary>Settings and background work: the cycle for 重复参训, pushing required packages to every teacher, the progress tallies and exports.</summary>
    public static IHostApplicationBuilder AddEnrollmentFeatures(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CycleOptions>().BindConfiguration(CycleOptions.SectionName);
        builder.Services.AddSingleton<CatalogFactsCache>();
        builder.Services.AddHostedService<RequiredPushWorker>();
        builder.Services.AddHostedService<ProgressTallyWorker>();
        // A retention below the minimum stops the start-up instead of deleting files people are about to download.
        builder.Services.AddOptions<ProgressExportOptions>().BindConfiguration(ProgressExportOptions.SectionName)
            .Validate(o => o.Retention >= ProgressExportOptions.MinimumRetention,
                $"{ProgressExportOptions.SectionName}:Retention must be at least {ProgressExportOptions.MinimumRetention} (finished exports are deleted after it).")
            .Validate(o => o.SweepEvery > TimeSpan.Zero && o.SweepBatch > 0,
                $"{ProgressExportOptions.SectionName}:SweepEvery and SweepBatch must be positive.")
            .ValidateOnStart();
        builder.Services.AddHostedService<ProgressExportWorker>();
        return builder;
    }

    /// <summary>All under one group, so no endpoint of the service, today's or a later one, reads a list with a null element (<see cref="NullElements"/>).</summary>
    public static IEndpointRouteBuilder MapEnrollmentEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("").RefuseNullElements()
            .MapElectiveEndpoints()
            .MapMyYearEndpoints()
            .MapProgressEndpoints()
            .MapOptOutEndpoints()
            .MapReportEndpoints()
            .MapProgressStatusEndpoints()
            .MapProgressTallyEndpoints()
            .MapParkedMessageEndpoints(EnrollmentApi.ServiceName)
            .MapAuditEndpoints(EnrollmentApi.ServiceName);
        return app;
    }
}
