using System.Diagnostics;
using System.Globalization;

namespace TrainingPlatform.LocalServers;

/// <summary>
/// A server from an earlier run that still holds our data folder (e.g. the orchestrator was SIGKILLed
/// before the kernel's parent-death signal could be acted on). It would make the new server refuse to start.
/// </summary>
internal static class LeftoverServer
{
    /// <summary>Stops the process named in the first line of <paramref name="pidFile"/> if it is still a <paramref name="commandName"/>.</summary>
    public static async Task StopIfRunningAsync(
        string pidFile, string commandName, int signal, ILogSink log, string source, CancellationToken cancellationToken)
    {
        if (!File.Exists(pidFile)
            || !int.TryParse(File.ReadLines(pidFile).FirstOrDefault()?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || pid <= 1
            || ProcessTree.CommandName(pid) is not { } name
            || !name.StartsWith(commandName, StringComparison.Ordinal))
        {
            return;
        }

        log.WriteLine(source, $"stopping leftover {name} (pid {pid}) from a previous run that still uses {Path.GetDirectoryName(pidFile)}");
        ProcessTree.Signal(pid, signal);
        var elapsed = Stopwatch.StartNew();
        while (ProcessTree.IsAlive(pid) && elapsed.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(100, cancellationToken);
        }

        if (ProcessTree.IsAlive(pid))
        {
            foreach (var process in ProcessTree.Snapshot(pid))
            {
                ProcessTree.Signal(process, ProcessTree.SigKill);
            }

            await Task.Delay(500, cancellationToken);
        }
    }
}
