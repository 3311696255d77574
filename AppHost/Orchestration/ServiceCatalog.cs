namespace TrainingPlatform.AppHost.Orchestration;

/// <summary>A .NET project the AppHost runs; paths relative to the repository root.</summary>
internal sealed record ProjectDefinition(string Name, string ProjectDirectory, string AssemblyName)
{
    /// <summary>Each service owns one database; the gateway has none.</summary>
    public string DatabaseName => $"{Name}db";
}

internal static class ServiceCatalog
{
    /// <summary>It announces the organisation tree and teachers, so every other queue must be bound before it starts.</summary>
    public const string StartsLast = "directory";

    public static IReadOnlyList<ProjectDefinition> Services { get; } =
    [
        new("directory", "services/Directory", "TrainingPlatform.Directory.Api"),
        new("catalog", "services/Catalog", "TrainingPlatform.Catalog.Api"),
        new("enrollment", "services/Enrollment", "TrainingPlatform.Enrollment.Api"),
        new("credits", "services/Credits", "TrainingPlatform.Credits.Api"),
        new("mentoring", "services/Mentoring", "TrainingPlatform.Mentoring.Api"),
    ];

    public static ProjectDefinition Gateway { get; } = new("gateway", "gateway", "TrainingPlatform.Gateway");
}

/// <summary>Where <c>dotnet build</c> put a project's output, matching the AppHost's own configuration.</summary>
internal static class BuildOutput
{
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    public const string TargetFramework = "net10.0";

    public static string AssemblyPath(RepositoryLayout repository, ProjectDefinition project) =>
        Path.Combine(repository.ProjectDirectory(project), "bin", Configuration, TargetFramework, project.AssemblyName + ".dll");
}
