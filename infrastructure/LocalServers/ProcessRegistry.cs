using System.Collections.Concurrent;

namespace TrainingPlatform.LocalServers;

/// <summary>
/// Every running <see cref="ManagedProcess"/>, so that whatever way our process ends (normal exit,
/// unhandled exception path, a test host shutting down) nothing we started keeps running.
/// </summary>
public static class ProcessRegistry
{
    private static readonly ConcurrentDictionary<ManagedProcess, byte> Running = new();

    static ProcessRegistry()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAll(TimeSpan.FromSeconds(5));
    }

    /// <summary>Makes sure the exit hook is installed; safe to call any number of times.</summary>
    public static void EnsureInstalled() { }

    public static IReadOnlyCollection<ManagedProcess> Snapshot() => Running.Keys.ToArray();

    /// <summary>Synchronous last-resort stop for exit paths that cannot await: gentle signal, short wait, then kill.</summary>
    public static void StopAll(TimeSpan gracePeriod)
    {
        var processes = Snapshot();
        if (processes.Count == 0)
        {
            return;
        }

        try
        {
            Task.WhenAll(processes.Select(p => p.StopAsync(gracePeriod))).Wait(gracePeriod + TimeSpan.FromSeconds(3));
        }
        catch (AggregateException)
        {
            // Fall through to the hard kill below.
        }

        foreach (var process in Snapshot())
        {
            process.KillNow();
        }
    }

    /// <summary>SIGKILL everything now (second Ctrl+C).</summary>
    public static void KillAll()
    {
        foreach (var process in Snapshot())
        {
            process.KillNow();
        }
    }

    internal static void Add(ManagedProcess process) => Running.TryAdd(process, 0);

    internal static void Remove(ManagedProcess process) => Running.TryRemove(process, out _);
}
