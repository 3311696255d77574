using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CsCheck;

namespace TrainingPlatform.Contract.Tests;

/// <summary>Who calls: a name for the report and the bearer token (none for anonymous).</summary>
public sealed record Caller(string Name, string? Token);

/// <summary>One response that broke the contract.</summary>
public sealed record Finding(string Service, string Operation, string Caller, string RequestKind, string Kind, int Status, string Why,
    string Request, string Response);

/// <summary>Requests sent for one operation: per caller, and the statuses seen.</summary>
public sealed class OperationTally(ApiOperation operation)
{
    public ApiOperation Operation { get; } = operation;

    public SortedDictionary<string, int> ByCaller { get; } = new(StringComparer.Ordinal);

    public SortedDictionary<int, int> ByStatus { get; } = [];

    public int Total => ByCaller.Values.Sum();
}

/// <summary>
/// Drives one started service from its own OpenAPI document: for every operation and every caller, valid, boundary
/// and malformed requests (see <see cref="RequestFactory"/>), each response held to the document
/// (<see cref="ResponseChecker"/>).
/// </summary>
public sealed class ContractRun(string service, ApiDocument document, Func<HttpClient> newClient, IReadOnlyList<Caller> callers, ulong seed)
{
    public const int ValidPerCaller = 3;
    public const int MalformedPerCaller = 16;

    /// <summary>Always sent whole (nulls in lists, out-of-range integers), even beyond <see cref="MalformedPerCaller"/>.</summary>
    public const int FirstMalformedLimit = 24;

    /// <summary>
    /// Requests that break the documented request schema (a required member missing, a value outside a declared
    /// range …) beyond the malformed ones drawn above: all of them, for a caller not refused — each must be refused,
    /// never answered 2xx; a few hundred in all, seconds.
    /// </summary>
    public const int BreakingPerCaller = int.MaxValue;

    /// <summary>A caller every valid request of whom was refused (401/403) gets only this many malformed ones.</summary>
    public const int MalformedWhenRefused = 4;

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan RunBudget = TimeSpan.FromMinutes(3);

    private readonly ValuePool _pool = new();

    /// <summary>Real values to draw on from the first request (<see cref="SeedWorld.Prime"/>); responses add more.</summary>
    public ValuePool Pool => _pool;
    private readonly ResponseChecker _checker = new(document);

    public List<OperationTally> Tallies { get; } = [];

    public List<Finding> Findings { get; } = [];

    public TimeSpan Elapsed { get; private set; }

    public int Requests => Tallies.Sum(t => t.Total);

    public async Task RunAsync()
    {
        var clock = Stopwatch.StartNew();
        var factory = new RequestFactory(new SchemaGen(document, _pool));
        var clients = callers.ToDictionary(c => c.Name, c =>
        {
            var client = newClient();
            client.Timeout = Timeout.InfiniteTimeSpan; // each request has its own deadline
            if (c.Token is not null)
            {
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", c.Token);
            }
            return client;
        });
        try
        {
            // Deleting last, so what the other operations made is there for them to find first.
            foreach (var operation in document.Operations.OrderBy(o => o.Method == "DELETE" ? 1 : 0))
            {
                var tally = new OperationTally(operation);
                Tallies.Add(tally);
                foreach (var caller in callers)
                {
                    if (clock.Elapsed > RunBudget)
                    {
                        Findings.Add(new Finding(service, operation.Name, caller.Name, "-", ResponseChecker.Timeout, 0,
                            $"the run passed its budget of {RunBudget.TotalMinutes:0} minutes; the remaining operations were not tried", "", ""));
                        return;
                    }
                    // One stream per operation and caller: adding an operation elsewhere does not change these requests.
                    var pcg = new PCG(StableHash($"{service} {operation.Name} {caller.Name}"), seed);
                    var refused = true;
                    for (var i = 0; i < ValidPerCaller; i++)
                    {
                        var status = await SendAsync(clients[caller.Name], operation, caller, tally, factory.Valid(operation, pcg, Shape.Valid, "valid"));
                        refused &= status is 401 or 403;
                    }
                    foreach (var shape in new[] { Shape.Minimal, Shape.Maximal })
                    {
                        var status = await SendAsync(clients[caller.Name], operation, caller, tally, factory.Valid(operation, pcg, shape, "boundary"));
                        refused &= status is 401 or 403;
                    }
                    var malformed = refused
                        ? factory.Malformed(operation, pcg, MalformedWhenRefused, MalformedWhenRefused)
                        : factory.Malformed(operation, pcg, MalformedPerCaller, FirstMalformedLimit, BreakingPerCaller);
                    foreach (var request in malformed)
                    {
                        await SendAsync(clients[caller.Name], operation, caller, tally, request);
                    }
                }
            }
        }
        finally
        {
            foreach (var client in clients.Values)
            {
                client.Dispose();
            }
            Elapsed = clock.Elapsed;
        }
    }

    private async Task<int> SendAsync(HttpClient client, ApiOperation operation, Caller caller, OperationTally tally, ContractRequest request)
    {
        tally.ByCaller[caller.Name] = tally.ByCaller.GetValueOrDefault(caller.Name) + 1;
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Url) { Content = request.Body?.Create() };
        using var deadline = new CancellationTokenSource(RequestTimeout);
        int status;
        string? mediaType;
        byte[] body;
        try
        {
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            status = (int)response.StatusCode;
            mediaType = response.Content.Headers.ContentType?.MediaType;
            body = await response.Content.ReadAsByteArrayAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Record(operation, caller, request, ResponseChecker.Timeout, 0, $"no answer within {RequestTimeout.TotalSeconds:0} s", "");
            return 0;
        }
        catch (Exception e) when (e is not OperationCanceledException || !deadline.IsCancellationRequested)
        {
            // The in-process server hands an exception it did not turn into a response to the client, whatever its type.
            Record(operation, caller, request, ResponseChecker.Exception, 0, $"{e.GetType().Name}: {FirstLine(e.Message)}", "");
            return 0;
        }
        tally.ByStatus[status] = tally.ByStatus.GetValueOrDefault(status) + 1;
        if (status is >= 200 and < 300 && mediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true)
        {
            Harvest(body);
        }
        foreach (var breach in _checker.Check(operation, status, mediaType, body, request.Tolerated, request.Breaks))
        {
            Record(operation, caller, request, breach.Kind, status, breach.Why, ResponseChecker.Gist(body));
        }
        return status;
    }

    private void Harvest(byte[] body)
    {
        try
        {
            using var parsed = JsonDocument.Parse(body);
            _pool.Harvest(parsed.RootElement);
        }
        catch (JsonException)
        {
            // The checker reports a body that is not what it says it is.
        }
    }

    private void Record(ApiOperation operation, Caller caller, ContractRequest request, string kind, int status, string why, string response) =>
        Findings.Add(new Finding(service, operation.Name, caller.Name, request.Kind + (request.What.Contains(' ', StringComparison.Ordinal) ? " " + request.What[(request.What.IndexOf(' ', StringComparison.Ordinal) + 1)..] : ""),
            kind, status, why, request.Display, response));

    private static string FirstLine(string text) => SchemaValidator.Shorten(text.Split('\n')[0].Trim(), 200);

    /// <summary>FNV-1a: string.GetHashCode differs from run to run.</summary>
    public static uint StableHash(string text)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 16777619u;
        }
        return hash;
    }
}
