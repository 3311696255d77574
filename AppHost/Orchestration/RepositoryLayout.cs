using TrainingPlatform.AppHost.Infrastructure;

namespace TrainingPlatform.AppHost.Orchestration;

/// <summary>The repository the AppHost was built from, found by walking up to TrainingPlatform.sln.</summary>
internal sealed record RepositoryLayout(string Root, string DataDirectory)
{
    private const string SolutionFile = "TrainingPlatform.sln";

    public string ProjectDirectory(ProjectDefinition project) => Path.Combine(Root, project.ProjectDirectory);

    public static RepositoryLayout Locate(AppHostOptions options)
    {
        var root = FindRoot(AppContext.BaseDirectory);
        if (root is null && options is not { InfraOnly: true, DataDirectory: not null })
        {
            throw new StartupException(
                $"could not find {SolutionFile} in any parent folder of {AppContext.BaseDirectory}; run the AppHost from the repository");
        }

        var dataDirectory = options.DataDirectory is not null
            ? Path.GetFullPath(options.DataDirectory)
            : Path.Combine(root!, ".data");
        return new RepositoryLayout(root ?? string.Empty, dataDirectory);
    }

    private static string? FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
