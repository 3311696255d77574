using TrainingPlatform.LocalServers;

namespace TrainingPlatform.AppHost.Platform;

/// <summary>
/// The password of the local platform's first operator (and of its demo accounts): generated on the first run and
/// kept in the data folder (0600), never in the repository, so a newcomer can sign in and try things.
/// </summary>
internal sealed record DemoCredentials(string OperatorLogin, string Password)
{
    public const string FileName = "demo-credentials";

    public static DemoCredentials LoadOrCreate(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        if (SecretFile.TryRead(path) is [var existing, ..])
        {
            return new DemoCredentials("operator", existing);
        }

        Directory.CreateDirectory(dataDirectory);
        // Letters and digits both, so it also meets the platform's own password rules.
        var password = $"Tp{SecretFile.NewSecret(14)}9";
        SecretFile.Write(path, password);
        return new DemoCredentials("operator", password);
    }
}
