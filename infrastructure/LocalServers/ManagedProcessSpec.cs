namespace TrainingPlatform.LocalServers;

/// <summary>The signal a program treats as "shut down cleanly".</summary>
public enum StopSignal
{
    /// <summary>SIGINT — PostgreSQL's "fast shutdown" (SIGTERM would wait for every client to disconnect).</summary>
    Interrupt = ProcessTree.SigInt,

    /// <summary>SIGTERM — .NET hosts, RabbitMQ's start script, epmd.</summary>
    Terminate = ProcessTree.SigTerm,
}

/// <summary>What to run and how. Environment entries override the inherited environment; a null value removes one.</summary>
public sealed record ManagedProcessSpec
{
    /// <summary>Short name used as the log prefix, e.g. <c>enrollment-1</c>.</summary>
    public required string Name { get; init; }

    public required string FileName { get; init; }

    public IReadOnlyList<string> Arguments { get; init; } = [];

    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    public string? WorkingDirectory { get; init; }

    /// <summary>System user to switch to — applied only when we are root; otherwise the child runs as us.</summary>
    public string? RunAsUser { get; init; }

    /// <summary>Sent first by <see cref="ManagedProcess.StopAsync"/>, and by the kernel if we die without stopping it.</summary>
    public StopSignal StopSignal { get; init; } = StopSignal.Terminate;

    /// <summary>Called for every output line (stdout and stderr) in addition to the log sink; must be quick.</summary>
    public Action<string>? OnOutputLine { get; init; }
}
