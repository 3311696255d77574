using TrainingPlatform.AppHost.Infrastructure;

namespace TrainingPlatform.AppHost.Orchestration;

/// <summary>The <c>dotnet</c> executable used to run the services (<c>dotnet exec app.dll</c>).</summary>
internal static class DotnetHost
{
    public static string Locate()
    {
        // Under `dotnet run` we are usually our own native apphost, so our process path is not always dotnet.
        var candidates = new[]
        {
            Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : null,
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH"),
            Environment.GetEnvironmentVariable("DOTNET_ROOT") is { } root ? Path.Combine(root, "dotnet") : null,
            LaunchCommand.FindExecutable("dotnet"),
            "/usr/share/dotnet/dotnet",
            "/usr/lib/dotnet/dotnet",
        };

        return candidates.FirstOrDefault(path => path is not null && File.Exists(path))
            ?? throw new StartupException("could not find the dotnet executable (looked at DOTNET_ROOT, PATH, /usr/share/dotnet)");
    }
}
