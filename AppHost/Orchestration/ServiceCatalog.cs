namespace TrainingPlatform.AppHost.Orchestration;

/// <summary>A .NET project the AppHost runs; paths relative to the repository root.</summary>
internal sealed record ProjectDefinition(string Name, string ProjectDirectory, string AssemblyName)
{
    /// <summary>Each service owns one database; the gateway has none.</summary>
    public string DatabaseName => $"{Name}db";
}

internal static class ServiceCatalog
{
    /// <summary>Issues the tokens and keeps the accounts: the one service given the demo credentials.</summary>
    public static ProjectDefinition Directory { get; } = new("directory", "services/Directory", "TrainingPlatform.Directory.Api");

    private static readonly ProjectDefinition Catalog = new("catalog", "services/Catalog", "TrainingPlatform.Catalog.Api");
    private static readonly ProjectDefinition Enrollment = new("enrollment", "services/Enrollment", "TrainingPlatform.Enrollment.Api");
    private static readonly ProjectDefinition Credits = new("credits", "services/Credits", "TrainingPlatform.Credits.Api");
    private static readonly ProjectDefinition Mentoring = new("mentoring", "services/Mentoring", "TrainingPlatform.Mentoring.Api");

    public static IReadOnlyList<ProjectDefinition> Services { get; } = [Directory, Catalog, Enrollment, Credits, Mentoring];

    /// <summary>
    /// The order services start in: a wave starts once every instance of the one before is healthy, and the services
    /// of a wave start together. Services publish at their first start (the demo data), and RabbitMQ drops a message
    /// sent to an exchange no queue is bound to yet, so every service starts after the consumers of what it
    /// publishes have bound their queues: Enrollment's events go to Credits and Mentoring; Catalog's (the program
    /// year, courses, topics, required packages) to Enrollment and Mentoring; Directory's organisation tree and
    /// teachers to everyone. A production deployment follows the same order for its very first start.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<ProjectDefinition>> StartWaves { get; } =
    [
        [Credits, Mentoring],
        [Enrollment],
        [Catalog],
        [Directory],
    ];

    public static ProjectDefinition Gateway { get; } = new("gateway", "gateway", "TrainingPlatform.Gateway");

    /// <summary>The web portal: its own database (notifications), served through the gateway.</summary>
    public static ProjectDefinition Portal { get; } = new("portal", "portal", "TrainingPlatform.Portal");

    /// <summary>Every project that owns a database: the services and the portal.</summary>
    public static IEnumerable<ProjectDefinition> WithDatabases => Services.Append(Portal);
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
