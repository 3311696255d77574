using System.Diagnostics;
using System.Globalization;

namespace TrainingPlatform.TestSupport;

/// <summary>
/// CPU time used meanwhile by this process (the service and the load client), PostgreSQL and RabbitMQ (each server
/// with every process under it, from /proc): what a request costs whatever else the machine is doing, and so the rate
/// two quiet cores could sustain.
/// </summary>
public sealed class CpuMeter
{
    private readonly int _postgres;
    private readonly int _rabbit;
    private readonly (double Self, double Postgres, double Rabbit) _start;

    private CpuMeter(int postgres, int rabbit)
    {
        (_postgres, _rabbit) = (postgres, rabbit);
        _start = Now();
    }

    /// <summary>Rabbit may be 0 for a run without a broker.</summary>
    public static CpuMeter Start(int postgresPid, int rabbitPid) => new(postgresPid, rabbitPid);

    /// <summary>Seconds of CPU since the start: this process, PostgreSQL, RabbitMQ.</summary>
    public (double Self, double Postgres, double Rabbit) Used()
    {
        var now = Now();
        return (now.Self - _start.Self, now.Postgres - _start.Postgres, now.Rabbit - _start.Rabbit);
    }

    public void Print(int requests, string unit, string self = "service + load client")
    {
        var used = Used();
        var (own, pg, mq) = (used.Self * 1000 / requests, used.Postgres * 1000 / requests, used.Rabbit * 1000 / requests);
        Console.WriteLine($"  CPU per {unit}: {own + pg + mq:0.00} ms ({self} {own:0.00}, PostgreSQL {pg:0.00}, RabbitMQ {mq:0.00}) " +
                          $"→ {Environment.ProcessorCount * 1000 / (own + pg + mq):0} /s on {Environment.ProcessorCount} idle cores");
    }

    private (double Self, double Postgres, double Rabbit) Now() =>
        (Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, TreeSeconds(_postgres), TreeSeconds(_rabbit));

    // utime + stime of every live process under root, plus what their exited children used (cutime + cstime).
    private static double TreeSeconds(int root)
    {
        if (root == 0 || !OperatingSystem.IsLinux())
        {
            return 0;
        }
        var processes = new Dictionary<int, (int Parent, long Ticks)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // fields[0] is the state, field 3 of proc(5)
                processes[pid] = (int.Parse(fields[1], CultureInfo.InvariantCulture),
                    new[] { 11, 12, 13, 14 }.Sum(i => long.Parse(fields[i], CultureInfo.InvariantCulture)));
            }
            catch (IOException)
            {
                // gone meanwhile
            }
        }
        bool Under(int pid)
        {
            for (var depth = 0; depth < 64 && pid > 1; depth++, pid = processes.TryGetValue(pid, out var p) ? p.Parent : 0)
            {
                if (pid == root)
                {
                    return true;
                }
            }
            return false;
        }
        return processes.Where(p => Under(p.Key)).Sum(p => p.Value.Ticks) / 100.0; // USER_HZ
    }
}
