using System.Security.Cryptography;

namespace TrainingPlatform.LocalServers;

/// <summary>Generated credentials kept next to a server's data (mode 0600), so a restart finds the same password.</summary>
public static class SecretFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Hex only: safe inside connection strings and URIs without escaping.</summary>
    public static string NewSecret(int length = 32) => RandomNumberGenerator.GetHexString(length, lowercase: true);

    public static string[]? TryRead(string path) =>
        File.Exists(path)
            ? File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray()
            : null;

    public static void Write(string path, params string[] lines)
    {
        File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Created with 0600 rather than chmod-ed afterwards: the secret is never readable by others.
            options.UnixCreateMode = OwnerOnly;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        foreach (var line in lines)
        {
            writer.Write(line);
            writer.Write('\n');
        }
    }
}
