using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.Services.Directory.Accounts;
using TrainingPlatform.Services.Directory.Demo;
using TrainingPlatform.Services.Directory.Imports;
using TrainingPlatform.Services.Directory.Organisations;
using TrainingPlatform.Services.Directory.Teachers;

namespace TrainingPlatform.Services.Directory;

public static class DirectorySetup
{
    /// <summary>Accounts and token signing, the teacher store, imports and their worker, and the demo province.</summary>
    public static IHostApplicationBuilder AddDirectoryFeatures(this IHostApplicationBuilder builder)
    {
        builder.AddDirectoryAccounts();
        builder.Services.AddSingleton<TeacherStore>();
        builder.Services.AddHostedService<DemoData>();
        builder.Services.AddSingleton<TeacherImport>();
        builder.Services.AddSingleton<SchoolImport>();
        builder.Services.AddHostedService<ImportWorker>();
        return builder;
    }

    /// <summary>All under one group, so no endpoint of the service, today's or a later one, reads a list with a null element (<see cref="NullElements"/>).</summary>
    public static IEndpointRouteBuilder MapDirectoryEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").RefuseNullElements();
        api.MapSignInEndpoints();
        api.MapSigningKeyEndpoints();
        api.MapAccountEndpoints();
        api.MapAccountManagementEndpoints();
        api.MapOrganisationEndpoints();
        api.MapTeacherEndpoints();
        api.MapNationalIdEndpoints();
        api.MapTeacherAccountEndpoints();
        api.MapImportEndpoints();
        api.MapParkedMessageEndpoints(DirectoryApi.ServiceName);
        api.MapAuditEndpoints(DirectoryApi.ServiceName);
        return app;
    }
}
