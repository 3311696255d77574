using System.Diagnostics;
using System.Globalization;

/// <summary>Latencies of one view, measured sequentially (one request at a time: the figure is the view's own cost).</summary>
internal sealed class Timings
{
    private readonly List<double> _ms = [];

    public int Count => _ms.Count;

    /// <summary>Calls that did not answer 2xx (still timed: a view that fails after its timeout is that slow).</summary>
    public int Failed { get; set; }

    public string? Failure { get; set; }

    public void Add(double ms) => _ms.Add(ms);

    public double Percentile(double p)
    {
        var sorted = _ms.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    public double Max => _ms.Count == 0 ? double.NaN : _ms.Max();

    public override string ToString() => Count == 0
        ? "not measured"
        : string.Create(CultureInfo.InvariantCulture, $"p50 {Percentile(0.50),8:0.0}  p95 {Percentile(0.95),8:0.0}  max {Max,8:0.0} ms (n={Count})") +
          (Failed == 0 ? "" : $" — {Failed} FAILED: {Failure}");

    /// <summary>
    /// <paramref name="warmUps"/> unmeasured calls, then at least <paramref name="minimum"/> measured ones and up to
    /// <paramref name="wanted"/> within <paramref name="budget"/> (a view that takes many seconds is measured fewer times).
    /// </summary>
    public static async Task<Timings> MeasureAsync(Func<Task<string?>> call, int warmUps, int wanted, int minimum, TimeSpan budget)
    {
        var timings = new Timings();
        for (var i = 0; i < warmUps; i++)
        {
            await call();
        }
        var clock = Stopwatch.StartNew();
        while (timings.Count < wanted && (timings.Count < minimum || clock.Elapsed < budget))
        {
            var started = Stopwatch.GetTimestamp();
            var failure = await call();
            timings.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            timings.Record(failure);
        }
        return timings;
    }

    /// <summary>Counts a failed call (<paramref name="failure"/> is what went wrong; null: it succeeded).</summary>
    public void Record(string? failure)
    {
        if (failure is not null)
        {
            Failed++;
            Failure = failure;
        }
    }
}

/// <summary>The service process's memory, sampled on a timer while something runs: the peak above the start.</summary>
internal sealed class MemorySampler : IAsyncDisposable
{
    private readonly long _heapBefore = GC.GetTotalMemory(false);
    private readonly long _workingSetBefore = CurrentWorkingSet();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private long _heapPeak;
    private long _workingSetPeak;

    public MemorySampler()
    {
        _heapPeak = _heapBefore;
        _workingSetPeak = _workingSetBefore;
        _sampling = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                _heapPeak = Math.Max(_heapPeak, GC.GetTotalMemory(false));
                _workingSetPeak = Math.Max(_workingSetPeak, CurrentWorkingSet());
                try
                {
                    await Task.Delay(20, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });
    }

    public double HeapGrowthMb => (_heapPeak - _heapBefore) / 1024.0 / 1024.0;

    public double WorkingSetGrowthMb => (_workingSetPeak - _workingSetBefore) / 1024.0 / 1024.0;

    private static long CurrentWorkingSet()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }
}
