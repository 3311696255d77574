namespace TrainingPlatform.LocalServers;

public sealed record LocalPostgresOptions
{
    /// <summary>Folder for the cluster, password and socket; null = a new temp folder deleted on dispose.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>TCP port on 127.0.0.1; 0 = pick a free one.</summary>
    public int Port { get; init; }

    /// <summary>Throw-away data (tests): fsync off and an unsynced initdb — much faster, not crash-safe.</summary>
    public bool Ephemeral { get; init; }

    /// <summary>Five services × replicas × connection pools add up quickly; the default 100 is not enough.</summary>
    public int MaxConnections { get; init; } = 300;

    /// <summary>More server settings (<c>-c name=value</c>), e.g. a load run's memory and checkpoint spacing.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>Folder with initdb and postgres; null = newest /usr/lib/postgresql/*/bin, then PATH.</summary>
    public string? BinDirectory { get; init; }

    /// <summary>Log prefix.</summary>
    public string Name { get; init; } = "postgres";

    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(15);
}
