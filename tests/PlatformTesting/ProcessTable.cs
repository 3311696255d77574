using System.Globalization;

namespace TrainingPlatform.PlatformTesting;

/// <summary>The machine's processes from /proc: who is running, and under which command (as ps shows it).</summary>
public static class ProcessTable
{
    public static Dictionary<int, (int Parent, string Command)> Snapshot()
    {
        var table = new Dictionary<int, (int, string)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid))
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    var command = stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..stat.LastIndexOf(')')];
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    table[pid] = (int.Parse(fields[1], CultureInfo.InvariantCulture), command);
                }
                catch (IOException)
                {
                    // exited while we looked
                }
            }
        }
        return table;
    }

    public static IReadOnlyList<int> SelfAndDescendants(int root)
    {
        var table = Snapshot();
        var found = new List<int> { root };
        for (var i = 0; i < found.Count; i++)
        {
            found.AddRange(table.Where(p => p.Value.Parent == found[i]).Select(p => p.Key));
        }
        return found;
    }

    /// <summary>Alive and not a zombie waiting to be reaped.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
