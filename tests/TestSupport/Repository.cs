namespace TrainingPlatform.TestSupport;

/// <summary>The repository the tests were built from (where TrainingPlatform.sln is), for tests that run its programs.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "TrainingPlatform.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("TrainingPlatform.sln not found above the test folder");
    }
}
