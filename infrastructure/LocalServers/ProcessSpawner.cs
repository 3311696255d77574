using System.Collections.Concurrent;
using System.Diagnostics;

namespace TrainingPlatform.LocalServers;

/// <summary>
/// Starts every child from one long-lived thread.
/// Children ask the kernel for a parent-death signal (setpriv --pdeathsig) so they stop even if we are
/// SIGKILLed; Linux fires that signal when the <em>thread</em> that forked them exits, and thread-pool
/// threads come and go — so forking always happens on this thread, which lives as long as the process.
/// </summary>
internal static class ProcessSpawner
{
    private static readonly BlockingCollection<(Process Process, TaskCompletionSource Started)> Requests = new();

    static ProcessSpawner()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "child-process-spawner" };
        thread.Start();
    }

    public static void Start(Process process)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Requests.Add((process, started));
        started.Task.GetAwaiter().GetResult();
    }

    private static void Run()
    {
        foreach (var (process, started) in Requests.GetConsumingEnumerable())
        {
            try
            {
                process.Start();
                started.SetResult();
            }
            catch (Exception e)
            {
                started.SetException(e);
            }
        }
    }
}
