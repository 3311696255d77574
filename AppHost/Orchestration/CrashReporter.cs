using System.Collections.Concurrent;
using TrainingPlatform.AppHost.Infrastructure;

namespace TrainingPlatform.AppHost.Orchestration;

/// <summary>
/// Reports a child that dies after it was up. The rest keeps running on purpose: a developer debugging one
/// crashing service still wants the others (and the process's last words) in front of them.
/// </summary>
internal sealed class CrashReporter(AppHostConsole console, Func<bool> isStopping)
{
    private readonly ConcurrentDictionary<string, int?> _exited = new(StringComparer.Ordinal);

    /// <summary>Names of processes that died while running (so "ready" does not hide them).</summary>
    public IReadOnlyCollection<string> Exited => [.. _exited.Keys];

    public void Watch(ManagedProcess process) => _ = ReportWhenExitedAsync(process);

    private async Task ReportWhenExitedAsync(ManagedProcess process)
    {
        await process.Exited;
        if (isStopping())
        {
            return;
        }

        _exited[process.Name] = process.ExitCode;
        console.Banner(ConsoleHighlight.Error,
            $"{process.Name} EXITED unexpectedly with code {process.ExitCode} (进程意外退出); everything else keeps running.",
            "Last output:");
        console.Error(process.FormatLastLines(20));
    }
}
