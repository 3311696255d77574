using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.Services.Catalog.Courses;
using TrainingPlatform.Services.Catalog.Demo;
using TrainingPlatform.Services.Catalog.ProgramYears;
using TrainingPlatform.Services.Catalog.RequiredPackages;
using TrainingPlatform.Services.Catalog.Topics;

namespace TrainingPlatform.Services.Catalog;

public static class CatalogSetup
{
    /// <summary>The catalog's background work (freezing topic choices when study starts, the demo catalogue) and its search cache.</summary>
    public static IHostApplicationBuilder AddCatalogFeatures(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SearchCache>();
        builder.Services.AddHostedService<TopicFreezer>();
        builder.Services.AddHostedService<DemoCatalog>();
        return builder;
    }

    /// <summary>All under one group, so no endpoint of the service, today's or a later one, reads a list with a null element (<see cref="NullElements"/>).</summary>
    public static IEndpointRouteBuilder MapCatalogEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("").RefuseNullElements()
            .MapCourseEndpoints()
            .MapProgramYearEndpoints()
            .MapTopicEndpoints()
            .MapTopicChoiceEndpoints()
            .MapRequiredPackageEndpoints()
            .MapParkedMessageEndpoints(CatalogApi.ServiceName)
            .MapAuditEndpoints(CatalogApi.ServiceName);
        return app;
    }
}
