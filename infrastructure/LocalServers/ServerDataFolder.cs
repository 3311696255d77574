namespace TrainingPlatform.LocalServers;

/// <summary>A server's data folder: either the caller's (kept) or a fresh temp folder (deleted on dispose).</summary>
internal sealed class ServerDataFolder
{
    private ServerDataFolder(string path, bool isTemporary)
    {
        Path = path;
        IsTemporary = isTemporary;
    }

    public string Path { get; }

    public bool IsTemporary { get; }

    public static ServerDataFolder Resolve(string? requested, string tempPrefix)
    {
        if (requested is not null)
        {
            var full = System.IO.Path.GetFullPath(requested);
            Directory.CreateDirectory(full);
            return new ServerDataFolder(full, isTemporary: false);
        }

        // World-traversable parent (/tmp) so a server running as its own system user can reach it.
        var temp = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{tempPrefix}-{SecretFile.NewSecret(10)}");
        Directory.CreateDirectory(temp);
        return new ServerDataFolder(temp, isTemporary: true);
    }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void DeleteIfTemporary()
    {
        if (!IsTemporary)
        {
            return;
        }

        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A temp folder left behind is untidy, not harmful.
        }
    }
}
