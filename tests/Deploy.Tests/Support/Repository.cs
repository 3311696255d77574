namespace TrainingPlatform.Deploy.Tests.Support;

internal static class Repository
{
    /// <summary>The checkout's root: the folder holding TrainingPlatform.sln, above the test's output folder.</summary>
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TrainingPlatform.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No TrainingPlatform.sln above {AppContext.BaseDirectory}");
    }
}
