using System.Diagnostics;

namespace TrainingPlatform.AppHost.Orchestration;

/// <summary>
/// What is running, grouped in stages; stopped in reverse stage order (gateway → services → RabbitMQ →
/// PostgreSQL) so nothing loses a dependency while it is still serving. Members of a stage stop in parallel.
/// </summary>
internal sealed class ShutdownSequence(AppHostConsole console, params string[] stages) : IAsyncDisposable
{
    private readonly Dictionary<string, List<(string Name, Func<Task> Stop)>> _byStage =
        stages.ToDictionary(stage => stage, _ => new List<(string, Func<Task>)>());

    private readonly Lock _lock = new();

    /// <summary>Set once stopping begins, so exits from here on are not reported as crashes.</summary>
    public bool IsStopping { get; private set; }

    public void Register(string stage, string name, Func<Task> stop)
    {
        lock (_lock)
        {
            _byStage[stage].Add((name, stop));
        }
    }

    public async ValueTask DisposeAsync()
    {
        IsStopping = true;
        var elapsed = Stopwatch.StartNew();
        var stoppedAny = false;
        foreach (var stage in stages.Reverse())
        {
            List<(string Name, Func<Task> Stop)> members;
            lock (_lock)
            {
                members = [.. _byStage[stage]];
                _byStage[stage].Clear();
            }

            if (members.Count == 0)
            {
                continue;
            }

            stoppedAny = true;
            console.Info($"stopping {string.Join(", ", members.Select(m => m.Name))}");
            await Task.WhenAll(members.Select(member => StopQuietlyAsync(member.Name, member.Stop)));
        }

        if (stoppedAny)
        {
            console.Info($"all stopped in {elapsed.Elapsed.TotalSeconds:0.0} s (已全部停止)");
        }
    }

    private async Task StopQuietlyAsync(string name, Func<Task> stop)
    {
        try
        {
            await stop();
        }
        catch (Exception e)
        {
            // One failing stop must not leave the remaining stages running.
            console.Error($"could not stop {name} cleanly: {e.Message}");
        }
    }
}
