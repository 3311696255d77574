namespace TrainingPlatform.LocalServers;

/// <summary>Receives every line a child process writes, tagged with the child's name.</summary>
public interface ILogSink
{
    void WriteLine(string source, string line);
}

/// <summary>Discards output; the last lines are still kept by <see cref="ManagedProcess"/> for error messages.</summary>
public sealed class NullLogSink : ILogSink
{
    public static NullLogSink Instance { get; } = new();

    public void WriteLine(string source, string line) { }
}
