using TrainingPlatform.Services.Mentoring.Activities;
using TrainingPlatform.Services.Mentoring.Guides;
using TrainingPlatform.Services.Mentoring.Mentors;
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

    public static IEndpointRouteBuilder MapMentoringEndpoints(this IEndpointRouteBuilder app) => app
        .MapStudyGroupEndpoints()
        .MapGuideEndpoints()
        .MapMentorEndpoints()
        .MapWorkshopEndpoints()
        .MapStudioEndpoints()
        .MapSupportEndpoints()
        .MapActivityEndpoints();
}
