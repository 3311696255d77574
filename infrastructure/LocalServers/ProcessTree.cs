using System.Globalization;

namespace TrainingPlatform.LocalServers;

/// <summary>A process identified by pid and start time, so a recycled pid is never signalled by mistake.</summary>
internal readonly record struct ProcessIdentity(int Pid, long StartTime);

/// <summary>
/// Reads the process tree from /proc. Needed because a server's helpers (postgres backends, Erlang's
/// port programs) are grandchildren of what we started, and .NET only knows about direct children.
/// </summary>
internal static class ProcessTree
{
    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>The root and everything below it, parents before children.</summary>
    public static IReadOnlyList<ProcessIdentity> Snapshot(int rootPid)
    {
        var all = ReadAll();
        var childrenByParent = all.ToLookup(p => p.ParentPid);
        var result = new List<ProcessIdentity>();
        if (all.FirstOrDefault(p => p.Pid == rootPid) is { Pid: > 0 } root)
        {
            result.Add(new ProcessIdentity(root.Pid, root.StartTime));
        }

        var queue = new Queue<int>([rootPid]);
        var seen = new HashSet<int> { rootPid };
        while (queue.TryDequeue(out var pid))
        {
            foreach (var child in childrenByParent[pid])
            {
                if (seen.Add(child.Pid))
                {
                    result.Add(new ProcessIdentity(child.Pid, child.StartTime));
                    queue.Enqueue(child.Pid);
                }
            }
        }

        return result;
    }

    public static bool IsAlive(ProcessIdentity process) =>
        TryRead(process.Pid, out var entry) && entry.StartTime == process.StartTime && entry.State != 'Z';

    public static bool IsAlive(int pid) => TryRead(pid, out var entry) && entry.State != 'Z';

    /// <summary>Sends a signal if the process is still the one we recorded; gone processes are fine.</summary>
    public static void Signal(ProcessIdentity process, int signal)
    {
        if (IsAlive(process))
        {
            _ = NativeMethods.Kill(process.Pid, signal);
        }
    }

    public static void Signal(int pid, int signal) => _ = NativeMethods.Kill(pid, signal);

    /// <summary>
    /// Signals the process group led by <paramref name="leader"/> — what a terminal does on Ctrl+C, so the
    /// program and the helpers it keeps in its group (RabbitMQ's start script and its beam) hear it together.
    /// Helpers that made their own group (postgres backends, Erlang port programs) are left to their parent.
    /// Falls back to the single process when it does not lead a group.
    /// </summary>
    public static void SignalGroup(ProcessIdentity leader, int signal)
    {
        if (!TryRead(leader.Pid, out var entry) || entry.StartTime != leader.StartTime || entry.State == 'Z')
        {
            return;
        }

        _ = NativeMethods.Kill(entry.ProcessGroup == leader.Pid ? -leader.Pid : leader.Pid, signal);
    }

    public static string? CommandName(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private readonly record struct StatEntry(int Pid, int ParentPid, int ProcessGroup, char State, long StartTime);

    private static List<StatEntry> ReadAll()
    {
        var entries = new List<StatEntry>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && TryRead(pid, out var entry))
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    private static bool TryRead(int pid, out StatEntry entry)
    {
        entry = default;
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // exited while we were looking
        }

        // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
        var afterName = stat.LastIndexOf(')');
        if (afterName < 0)
        {
            return false;
        }

        var fields = stat[(afterName + 2)..].Split(' ');
        // fields[0] = state (field 3), [1] = ppid (4), [2] = process group (5), [19] = starttime (22)
        if (fields.Length < 20
            || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent)
            || !int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var group)
            || !long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return false;
        }

        entry = new StatEntry(pid, parent, group, fields[0][0], start);
        return true;
    }
}
