using System.Diagnostics;
using System.Globalization;

namespace TrainingPlatform.Benchmarks.CatalogSearch;

/// <summary>
/// CPU time used so far, to tell where the machine's cores went during the load: PostgreSQL (the postmaster and its
/// backends, read from Linux's /proc) and this process (the Catalog service and the clients together).
/// </summary>
internal static class CpuTime
{
    private const double TicksPerSecond = 100; // USER_HZ, the unit of /proc/<pid>/stat times on Linux

    public static TimeSpan OfThisProcess() => Process.GetCurrentProcess().TotalProcessorTime;

    /// <summary>The process, its children, and the children it has already reaped; zero where there is no /proc.</summary>
    public static TimeSpan OfTree(int pid)
    {
        if (!OperatingSystem.IsLinux())
        {
            return TimeSpan.Zero;
        }
        double ticks = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var candidate) && Read(candidate) is { } stat
                && (candidate == pid || stat.ParentId == pid))
            {
                ticks += stat.Ticks + (candidate == pid ? stat.ReapedChildrenTicks : 0);
            }
        }
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    private static (int ParentId, double Ticks, double ReapedChildrenTicks)? Read(int pid)
    {
        string line;
        try
        {
            line = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null; // exited meanwhile
        }
        // "pid (name) state ppid …": the name may hold spaces, so count the fields after its closing parenthesis.
        var fields = line[(line.LastIndexOf(')') + 2)..].Split(' ');
        double Field(int number) => double.Parse(fields[number - 3], CultureInfo.InvariantCulture);
        return ((int)Field(4), Field(14) + Field(15), Field(16) + Field(17));
    }
}
