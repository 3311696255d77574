using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;

/// <summary>Latencies and status codes of one kind of request.</summary>
internal sealed class Recorder
{
    private readonly ConcurrentBag<double> _latencies = [];
    private readonly ConcurrentDictionary<int, int> _statuses = new();
    private TimeSpan _elapsed;

    public Task<HttpStatusCode> TimeAsync(Func<Task<HttpStatusCode>> request) => TimeAsync(Stopwatch.GetTimestamp(), request);

    /// <summary>
    /// Timed from <paramref name="due"/>, when an open-loop schedule meant the request to go, not when it went: a
    /// request held back by a slow one before it counts that wait (no coordinated omission).
    /// </summary>
    public async Task<HttpStatusCode> TimeAsync(long due, Func<Task<HttpStatusCode>> request)
    {
        var started = due;
        HttpStatusCode status;
        try
        {
            status = await request();
        }
        catch (HttpRequestException)
        {
            status = 0;
        }
        catch (TaskCanceledException)
        {
            status = HttpStatusCode.RequestTimeout;
        }
        _latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        _statuses.AddOrUpdate((int)status, 1, (_, n) => n + 1);
        return status;
    }

    public void Stop(Stopwatch clock) => _elapsed = clock.Elapsed;

    public int Succeeded => _statuses.Where(s => s.Key is >= 200 and < 300).Sum(s => s.Value);

    public int Failed => _statuses.Where(s => s.Key is < 200 or >= 300).Sum(s => s.Value);

    public double SucceededPerSecond => Succeeded / _elapsed.TotalSeconds;

    public double Percentile(double p)
    {
        var sorted = _latencies.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
    }

    public void Print(string what, string unit)
    {
        var sorted = _latencies.Order().ToArray();
        double Percentile(double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
        var ok = _statuses.Where(s => s.Key is >= 200 and < 300).Sum(s => s.Value);
        Console.WriteLine($"{what}: {sorted.Length:N0} {unit} in {_elapsed.TotalSeconds:0.0} s = {sorted.Length / _elapsed.TotalSeconds:0} /s " +
                          $"({ok / _elapsed.TotalSeconds:0} /s succeeded)");
        Console.WriteLine($"  latency ms: p50 {Percentile(0.50):0.0}, p95 {Percentile(0.95):0.0}, p99 {Percentile(0.99):0.0}, max {(sorted.Length > 0 ? sorted[^1] : double.NaN):0.0}");
        Console.WriteLine($"  status: {string.Join(", ", _statuses.OrderBy(s => s.Key).Select(s => $"{(s.Key == 0 ? "no answer" : s.Key.ToString(CultureInfo.InvariantCulture))}×{s.Value}"))}");
    }
}
