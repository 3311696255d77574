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
    /// <summary>Settings and background work: the cycle for 重复参训, and pushing required packages to every teacher.</summary>
    public static IHostApplicationBuilder AddEnrollmentFeatures(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CycleOptions>().BindConfiguration(CycleOptions.SectionName);
        builder.Services.AddSingleton<CatalogFactsCache>();
        builder.Services.AddHostedService<RequiredPushWorker>();
        builder.Services.AddHostedService<ProgressTallyWorker>();
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
