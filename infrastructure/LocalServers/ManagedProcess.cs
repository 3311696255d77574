using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace TrainingPlatform.LocalServers;

/// <summary>
/// A child process whose output is streamed line by line to a log sink and which can always be stopped
/// together with everything it spawned.
/// <para>
/// Launch chain: <c>setsid setpriv [--reuid user …] --pdeathsig SIG -- program args</c>; both helpers exec in
/// place, so the pid we hold is the program itself. <c>setsid</c> puts the child in its own session, so a
/// Ctrl+C in the terminal reaches only us and we can stop children in order; <c>--pdeathsig</c> makes the
/// kernel send the stop signal if we are killed outright; <c>setpriv</c> (rather than <c>runuser</c>) is used
/// to switch user because runuser, when signalled, SIGKILLs its child after 2 s — too early for a clean stop.
/// </para>
/// </summary>
public sealed class ManagedProcess : IAsyncDisposable
{
    public static readonly TimeSpan DefaultStopTimeout = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan OutputDrainLimit = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan StopSignalRepeat = TimeSpan.FromSeconds(2);

    private readonly ManagedProcessSpec _spec;
    private readonly ILogSink _sink;
    private readonly Process _process;
    private readonly RecentLines _recent = new(200);
    private readonly TaskCompletionSource _processExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HashSet<ProcessIdentity> _knownTree = [];
    private readonly Lock _lock = new();
    private Task? _stopping;
    private ProcessIdentity _root;

    private ManagedProcess(ManagedProcessSpec spec, ILogSink sink)
    {
        _spec = spec;
        _sink = sink;
        _process = new Process { StartInfo = LaunchCommand.Build(spec), EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnOutput(e.Data, _stdoutClosed);
        _process.ErrorDataReceived += (_, e) => OnOutput(e.Data, _stderrClosed);
        _process.Exited += (_, _) => OnExited();
    }

    public string Name => _spec.Name;

    public int Id { get; private set; }

    /// <summary>True as soon as the process has exited (its last output may still be arriving).</summary>
    public bool HasExited => _processExited.Task.IsCompleted;

    /// <summary>Completes when the process has exited and its output has been read (or 2 s passed).</summary>
    public Task Exited => _completed.Task;

    public int? ExitCode { get; private set; }

    /// <summary>Starts the process; throws <see cref="StartupException"/> when the program cannot be launched.</summary>
    public static ManagedProcess Start(ManagedProcessSpec spec, ILogSink? sink = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ProcessRegistry.EnsureInstalled();
        var managed = new ManagedProcess(spec, sink ?? ConsoleLogSink.Shared);
        managed.StartCore();
        return managed;
    }

    /// <summary>Waits for the process to exit and returns its exit code. Cancelling stops waiting, not the process.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        await Exited.WaitAsync(cancellationToken);
        return ExitCode ?? -1;
    }

    /// <summary>The last <paramref name="count"/> lines the process wrote (stdout and stderr interleaved).</summary>
    public IReadOnlyList<string> LastLines(int count = 30) => _recent.Last(count);

    /// <summary>Last lines, indented, ready to append to an error message.</summary>
    public string FormatLastLines(int count = 30)
    {
        var lines = LastLines(count);
        if (lines.Count == 0)
        {
            return "    (no output)";
        }

        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.Append("    ").AppendLine(line);
        }

        return text.ToString().TrimEnd();
    }

    /// <summary>Sends a signal to the program itself (not its children).</summary>
    public void Signal(StopSignal signal)
    {
        if (!HasExited)
        {
            ProcessTree.Signal(_root, (int)signal);
        }
    }

    /// <summary>
    /// Stops the program and everything it spawned: its own stop signal to its process group first (it knows
    /// best how to stop its children; repeated every 2 s), SIGTERM to every descendant if it has not exited
    /// within <paramref name="timeout"/>, then SIGKILL to whatever is left — including descendants that
    /// outlived it. Idempotent.
    /// </summary>
    public Task StopAsync(TimeSpan timeout)
    {
        lock (_lock)
        {
            return _stopping ??= StopCoreAsync(timeout);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(DefaultStopTimeout);
        _process.Dispose();
    }

    /// <summary>SIGKILL the program and every descendant we have seen, immediately.</summary>
    internal void KillNow()
    {
        RememberTree();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already gone, or raced with its exit; the per-pid kill below covers the rest.
        }

        foreach (var process in KnownTree())
        {
            ProcessTree.Signal(process, ProcessTree.SigKill);
        }
    }

    private void StartCore()
    {
        // Registered before it exists, so a child that exits at once is not re-added after its exit.
        ProcessRegistry.Add(this);
        try
        {
            ProcessSpawner.Start(_process);
        }
        catch (Win32Exception e)
        {
            ProcessRegistry.Remove(this);
            throw new StartupException($"could not start {_spec.Name} ({_spec.FileName}): {e.Message}", e);
        }

        Id = _process.Id;
        RememberTree();
        // Nobody types into our children; an inherited terminal stdin only invites them to change its modes.
        _process.StandardInput.Close();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private async Task StopCoreAsync(TimeSpan timeout)
    {
        if (!HasExited)
        {
            RememberTree();
            if (!await WaitForProcessExitAsync(timeout, resendEvery: StopSignalRepeat))
            {
                foreach (var process in KnownTree())
                {
                    ProcessTree.Signal(process, ProcessTree.SigTerm);
                }

                await WaitForProcessExitAsync(TimeSpan.FromSeconds(2), resendEvery: null);
            }
        }

        await StopLeftoversAsync();
        KillNow();
        await Task.WhenAny(Exited, Task.Delay(TimeSpan.FromSeconds(3)));
        ProcessRegistry.Remove(this);
    }

    /// <summary>Descendants that outlived the program (reparented to init) get a short SIGTERM grace period.</summary>
    private async Task StopLeftoversAsync()
    {
        var leftovers = KnownTree().Where(p => p.Pid != _root.Pid && ProcessTree.IsAlive(p)).ToList();
        if (leftovers.Count == 0)
        {
            return;
        }

        foreach (var process in leftovers)
        {
            ProcessTree.Signal(process, ProcessTree.SigTerm);
        }

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(1) && leftovers.Any(ProcessTree.IsAlive))
        {
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Waits for the root to exit while keeping the list of descendants fresh (they are orphaned once it
    /// dies), sending the stop signal to its process group first and again every <paramref name="resendEvery"/>:
    /// a program still booting may not have installed its handler yet (RabbitMQ's beam drops an early SIGTERM).
    /// </summary>
    private async Task<bool> WaitForProcessExitAsync(TimeSpan timeout, TimeSpan? resendEvery)
    {
        var elapsed = Stopwatch.StartNew();
        var nextSignal = TimeSpan.Zero;
        while (!HasExited && elapsed.Elapsed < timeout)
        {
            if (resendEvery is { } interval && elapsed.Elapsed >= nextSignal)
            {
                ProcessTree.SignalGroup(_root, (int)_spec.StopSignal);
                nextSignal = elapsed.Elapsed + interval;
            }

            await Task.WhenAny(_processExited.Task, Task.Delay(TimeSpan.FromMilliseconds(200)));
            RememberTree();
        }

        return HasExited;
    }

    private void RememberTree()
    {
        if (Id == 0 || HasExited)
        {
            return;
        }

        var snapshot = ProcessTree.Snapshot(Id);
        lock (_lock)
        {
            foreach (var process in snapshot)
            {
                if (process.Pid == Id)
                {
                    _root = process;
                }

                _knownTree.Add(process);
            }
        }
    }

    private List<ProcessIdentity> KnownTree()
    {
        lock (_lock)
        {
            return [.. _knownTree];
        }
    }

    private void OnOutput(string? line, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }

        _recent.Add(line);
        try
        {
            _sink.WriteLine(_spec.Name, line);
            _spec.OnOutputLine?.Invoke(line);
        }
        catch (Exception e)
        {
            // A faulty sink must not take the whole orchestrator down from a thread-pool callback.
            Console.Error.WriteLine($"[{_spec.Name}] log sink failed: {e.Message}");
        }
    }

    private void OnExited()
    {
        try
        {
            ExitCode = _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            ExitCode = -1;
        }

        _processExited.TrySetResult();
        _ = Task.Run(async () =>
        {
            await Task.WhenAny(Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task), Task.Delay(OutputDrainLimit));
            if (_stopping is null)
            {
                ProcessRegistry.Remove(this);
            }

            _completed.TrySetResult();
        });
    }
}
