using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Benchmarks.CatalogSearch;

/// <summary>One kind of search the load mixes, and how a client builds its next query string.</summary>
internal sealed record QueryKind(string Name, Func<Random, string> NextQuery);

/// <summary>The searches teachers and admins make, in equal shares, and the clients that make them.</summary>
internal static class SearchLoad
{
    private static readonly string[] Words =
    [
        "班级管理", "课堂教学", "信息技术", "心理健康", "微课", "传统文化", "作业设计", "家校合作", "核心素养", "大单元", "整本书",
        "实验教学", "师德", "教育法", "校本研修", "课题研究", "劳动教育", "安全教育", "幼儿游戏", "小学数学", "初中语文", "高中物理",
        "评价", "课例", "翻转课堂", "情绪管理", "教学设计", "书法",
    ];

    private static readonly string[] Characters = ["课", "学", "微", "班", "心", "法", "书", "德", "史", "艺"];

    private static readonly string[] SchoolStages = [Stages.Primary, Stages.Junior, Stages.Senior];

    public static IReadOnlyList<QueryKind> Kinds(IReadOnlyList<Guid> topics) =>
    [
        new("text 2–4 chars", r => Q(Pick(r, Words))),
        new("1 char", r => Q(Pick(r, Characters))),
        new("Latin PPT", _ => Q("PPT")),
        new("stage+category", r => $"stage={Pick(r, Stages.All)}&category={Pick(r, [.. CourseCategories.Names.Keys])}"),
        new("text+filters", r => TextWithFilters(r)),
        new("topic", r => $"topic={Pick(r, topics)}"),
        new("page 5", r => (r.Next(2) == 0 ? Q("教学") : $"stage={Pick(r, SchoolStages)}") + "&page=5"),
    ];

    private static string TextWithFilters(Random r)
    {
        var stage = Pick(r, SchoolStages);
        return Q(Pick(r, Words)) + $"&stage={stage}" + (r.Next(2) == 0
            ? $"&subject={Uri.EscapeDataString(Pick(r, Subjects.ByStage[stage]))}"
            : $"&category={Pick(r, [.. CourseCategories.Names.Keys])}");
    }

    public static string Q(string text) => "q=" + Uri.EscapeDataString(text);

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    public sealed record Result(QueryKind Kind, double[] Milliseconds, int Failures);

    /// <summary>
    /// <paramref name="clients"/> loops, each sending its next search as soon as the previous answer is read, until
    /// <paramref name="duration"/> is over; every client takes the kinds in turn, from a different starting point.
    /// </summary>
    public static async Task<(IReadOnlyList<Result> Results, TimeSpan Elapsed)> RunAsync(HttpClient http, IReadOnlyList<QueryKind> kinds,
        int clients, TimeSpan duration)
    {
        var latencies = Enumerable.Range(0, clients).Select(_ => kinds.Select(_ => new List<double>()).ToArray()).ToArray();
        var failures = new int[kinds.Count];
        using var stop = new CancellationTokenSource(duration);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var random = new Random(client);
            for (var i = client; !stop.IsCancellationRequested; i++)
            {
                var kind = i % kinds.Count;
                var url = "/api/catalog/courses?" + kinds[kind].NextQuery(random);
                var started = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(url, CancellationToken.None);
                await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
                if (response.IsSuccessStatusCode)
                {
                    latencies[client][kind].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                else
                {
                    Interlocked.Increment(ref failures[kind]);
                }
            }
        })));
        clock.Stop();
        return ([.. kinds.Select((kind, k) => new Result(kind, [.. latencies.SelectMany(c => c[k]).Order()], failures[k]))], clock.Elapsed);
    }

    /// <summary>
    /// Open loop: request i is sent at start + i / <paramref name="rate"/> whether or not earlier ones have been answered,
    /// and timed from then, so a slow answer cannot hide the requests that queued behind it. <paramref name="nextPath"/>
    /// gives request i's path and query; <paramref name="kindOf"/> which kind it counts under.
    /// </summary>
    public static async Task<(IReadOnlyList<Result> Results, TimeSpan Elapsed)> RunAtRateAsync(HttpClient http, IReadOnlyList<QueryKind> kinds,
        Func<int, Random, string> nextPath, double rate, TimeSpan duration)
    {
        var latencies = kinds.Select(_ => new System.Collections.Concurrent.ConcurrentBag<double>()).ToArray();
        var failures = new int[kinds.Count];
        var random = new Random(7);
        var count = (int)(rate * duration.TotalSeconds);
        var sent = new List<Task>(count);
        var begin = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            var due = begin + (long)(i / rate * Stopwatch.Frequency);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait);
            }
            var kind = i % kinds.Count;
            var path = nextPath(i, random);
            sent.Add(Task.Run(async () =>
            {
                try
                {
                    using var response = await http.GetAsync(path, CancellationToken.None);
                    await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
                    if (response.IsSuccessStatusCode)
                    {
                        latencies[kind].Add(Stopwatch.GetElapsedTime(due).TotalMilliseconds);
                        return;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // counted below: an overloaded run reports its failures instead of ending
                }
                Interlocked.Increment(ref failures[kind]);
            }));
        }
        await Task.WhenAll(sent);
        var elapsed = Stopwatch.GetElapsedTime(begin);
        return ([.. kinds.Select((kind, k) => new Result(kind, [.. latencies[k].Order()], failures[k]))], elapsed);
    }

    public static void Print(IReadOnlyList<Result> results, TimeSpan elapsed)
    {
        var all = results.SelectMany(r => r.Milliseconds).Order().ToArray();
        Console.WriteLine($"  {all.Length:N0} searches in {elapsed.TotalSeconds:0.0} s = {all.Length / elapsed.TotalSeconds:N1} requests/s, " +
                          $"{results.Sum(r => r.Failures)} failed");
        Console.WriteLine($"  {"kind",-16} {"requests",9} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8} {"max ms",8}");
        foreach (var result in results.Append(new Result(new QueryKind("all", _ => ""), all, results.Sum(r => r.Failures))))
        {
            var ms = result.Milliseconds;
            Console.WriteLine($"  {result.Kind.Name,-16} {ms.Length,9:N0} {Percentile(ms, 0.50),8:0.0} {Percentile(ms, 0.95),8:0.0} " +
                              $"{Percentile(ms, 0.99),8:0.0} {(ms.Length > 0 ? ms[^1] : double.NaN),8:0.0}" +
                              (result.Failures > 0 ? $"  ({result.Failures} failed)" : ""));
        }
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    /// <summary>A query's total and its first three titles, to show what the ranking puts first.</summary>
    public static async Task PrintSampleAsync(HttpClient http, string label, string query)
    {
        using var response = await http.GetAsync("/api/catalog/courses?" + query);
        response.EnsureSuccessStatusCode();
        using var page = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
        var titles = page.RootElement.GetProperty("items").EnumerateArray().Take(3).Select(i => i.GetProperty("title").GetString());
        Console.WriteLine($"  {label,-28} {page.RootElement.GetProperty("total").GetInt64().ToString("N0", CultureInfo.InvariantCulture),6} results: " +
                          string.Join(" | ", titles));
    }
}
