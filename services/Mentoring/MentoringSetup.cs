using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.Services.Mentoring.Activities;
using TrainingPlatform.Services.Mentoring.Guides;
using TrainingPlatform.Services.Mentoring.Mentors;
using TrainingPlatform.Services.Mentoring.People;
using TrainingPlatform.Services.Mentoring.Studios;
using TrainingPlatform.Services.Mentoring.StudyGroups;
using TrainingPlatform.Services.Mentoring.Support;
using TrainingPlatform.Services.Mentoring.Workshops;

namespace TrainingPlatform.Services.Mentoring;

public static class MentoringSetup
{
    /// <summary>The settings (group size, guide ratio, mentor capacity, the assignment's weights).</summary>
    public static IHostApplicationBuilder AddMentoringFeatures(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MentoringOptions>().BindConfiguration(MentoringOptions.SectionName);
        return builder;
    }

    /// <summary>All under one group, so no endpoint of the service, today's or a later one, reads a list with a null element (<see cref="NullElements"/>).</summary>
    public static IEndpointRouteBuilder MapMentoringEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("").RefuseNullElements()
            .MapStudyGroupEndpoints()
            .MapGuideEndpoints()
            .MapMentorEndpoints()
            .MapWorkshopEndpoints()
            .MapStudioEndpoints()
            .MapSupportEndpoints()
            .MapActivityEndpoints()
            .MapHeldRoleEndpoints()
            .MapParkedMessageEndpoints(MentoringApi.ServiceName)
            .MapAuditEndpoints(MentoringApi.ServiceName);
        return app;
    }
}
