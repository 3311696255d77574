using System.Runtime.InteropServices;
using TrainingPlatform.AppHost.Infrastructure;

namespace TrainingPlatform.AppHost.Orchestration;

/// <summary>
/// Turns Ctrl+C, SIGTERM and SIGHUP (terminal closed) into a cancellation token instead of letting the
/// runtime exit on the spot, so children can be stopped in order. A second signal (at least 1 s later)
/// kills every child at once.
/// </summary>
internal sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _requested = new();
    private readonly AppHostConsole _console;
    private readonly PosixSignalRegistration[] _registrations;
    private long _firstSignalAt;

    public ShutdownSignal(AppHostConsole console)
    {
        _console = console;
        _registrations = [.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP }
            .Select(signal => PosixSignalRegistration.Create(signal, OnSignal))];
    }

    public CancellationToken Token => _requested.Token;

    public bool IsRequested => _requested.IsCancellationRequested;

    public async Task WaitAsync()
    {
        try
        {
            await Task.Delay(Timeout.Infinite, Token);
        }
        catch (OperationCanceledException)
        {
            // That is what we were waiting for.
        }
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _requested.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        var now = Environment.TickCount64;
        if (Interlocked.CompareExchange(ref _firstSignalAt, now, 0) == 0)
        {
            _console.Warn($"{context.Signal} received: stopping everything (正在停止)… press Ctrl+C again to kill immediately");
            // Off the signal thread: cancellation callbacks may run the whole shutdown inline.
            _ = Task.Run(_requested.Cancel);
            return;
        }

        // `timeout`, process managers and terminals may deliver one request twice (to us and to our
        // process group); only a deliberate second Ctrl+C means "kill now".
        if (now - Interlocked.Read(ref _firstSignalAt) < 1000)
        {
            return;
        }

        // Everything dies at once; the ordered shutdown already under way then finds nothing left to wait for
        // and completes normally, so there is one exit path.
        _console.Error("second signal: killing all child processes now");
        ProcessRegistry.KillAll();
    }
}
