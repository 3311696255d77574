using System.Net.Http.Json;

namespace TrainingPlatform.Portal.Gateway;

/// <summary>One step of Credits' approval chain, as served (<c>GET /api/credits/approval-chain</c>).</summary>
public sealed record ApprovalStep(int Order, string Code, string Name, string Role, string RoleName, string? WaitingStatus, string ApprovedStatus,
    string ActionLabel, string MenuLabel, string WaitingText);

public sealed record CodeName(string Code, string Name);

/// <summary>
/// Credits' approval chain: the steps in order and the names an application's history uses. The portal draws the
/// chain, the reviewers' menus and page, and the teachers' notifications from it, so a step added in Credits shows here
/// without a change to the portal.
/// </summary>
public sealed record ApprovalChain(IReadOnlyList<ApprovalStep> Steps, IReadOnlyList<CodeName> Statuses, string RejectedStatus, string FinalStatus,
    IReadOnlyList<CodeName> HistorySteps, IReadOnlyList<CodeName> Decisions, string RejectedDecision)
{
    /// <summary>The roles that decide a step: who may open the review page.</summary>
    public IEnumerable<string> DeciderRoles => Steps.Where(s => s.WaitingStatus is not null).Select(s => s.Role).Distinct();

    /// <summary>The step <paramref name="role"/> decides, if any.</summary>
    public ApprovalStep? DecidedBy(string role) => Steps.FirstOrDefault(s => s.WaitingStatus is not null && s.Role == role);

    /// <summary>The step an application at <paramref name="status"/> waits for, if any.</summary>
    public ApprovalStep? WaitingAt(string status) => Steps.FirstOrDefault(s => s.WaitingStatus == status);

    public ApprovalStep? Step(string code) => Steps.FirstOrDefault(s => s.Code == code);

    /// <summary>How far an application at <paramref name="status"/> has come: the index of the step it waits for; all steps when through.</summary>
    public int Reached(string status) =>
        status == FinalStatus ? Steps.Count : Steps.ToList().FindIndex(s => s.WaitingStatus == status) is var i and >= 0 ? i : 0;

    public string StepName(string code) => HistorySteps.FirstOrDefault(s => s.Code == code)?.Name ?? Step(code)?.Name ?? code;

    public string DecisionName(string code) => Decisions.FirstOrDefault(d => d.Code == code)?.Name ?? code;

    /// <summary>Every step's name, joined by arrows: the whole way.</summary>
    public string Way => string.Join(" → ", Steps.Select(s => s.Name));
}

/// <summary>One of Enrollment's progress statuses (<c>GET /api/enrollment/reference/progress-statuses</c>), in display order.</summary>
public sealed record ProgressStatusInfo(string Code, string Name, int Order);

public static class ProgressStatusList
{
    /// <summary>The status's name as Enrollment serves it; the code itself while the list cannot be read.</summary>
    public static string NameOf(this IReadOnlyList<ProgressStatusInfo>? statuses, string code) =>
        statuses?.FirstOrDefault(s => s.Code == code)?.Name ?? code;
}

/// <summary>A standing in the five-year cycle, or a filter of the teacher list, as Credits serves it, in display order.</summary>
public sealed record StandingInfo(string Code, string Name, int Order, string Meaning);

/// <summary>
/// Credits' standings (<c>GET /api/credits/reference/compliance-statuses</c>): those a teacher's cycle can have (the
/// roll-up's figures, a list line's overall) and those the teacher list can be filtered by (the standings and no hours yet).
/// </summary>
public sealed record ComplianceStatusList(IReadOnlyList<StandingInfo> Standings, IReadOnlyList<StandingInfo> Filters)
{
    /// <summary>The name of a standing or filter as Credits serves it; the code itself if it serves no such one.</summary>
    public string NameOf(string code) =>
        Filters.FirstOrDefault(f => f.Code == code)?.Name ?? Standings.FirstOrDefault(s => s.Code == code)?.Name ?? code;

    public StandingInfo? Filter(string code) => Filters.FirstOrDefault(f => f.Code == code);
}

/// <summary>
/// The platform's reference lists the portal shows but does not own, fetched from the services that own them and kept
/// for <see cref="FreshFor"/> (one copy for all users: they are the same for everyone and served anonymously, so a
/// notification written from an event, with nobody signed in, reads them too). When a refresh fails the last good copy
/// is kept; only when there never was one is the problem returned.
/// </summary>
public sealed class ReferenceData(IHttpClientFactory clients, TimeProvider time)
{
    public static readonly TimeSpan FreshFor = TimeSpan.FromMinutes(5);

    public const string ApprovalChainPath = "/api/credits/approval-chain";
    public const string ProgressStatusesPath = "/api/enrollment/reference/progress-statuses";
    public const string ComplianceStatusesPath = "/api/credits/reference/compliance-statuses";

    private readonly Cached<ApprovalChain> _chain = new(ApprovalChainPath);
    private readonly Cached<List<ProgressStatusInfo>> _progress = new(ProgressStatusesPath);
    private readonly Cached<ComplianceStatusList> _standings = new(ComplianceStatusesPath);

    public async Task<ApiResult<ApprovalChain>> ApprovalChainAsync(CancellationToken cancellationToken = default) =>
        await GetAsync(_chain, cancellationToken);

    public async Task<ApiResult<IReadOnlyList<ProgressStatusInfo>>> ProgressStatusesAsync(CancellationToken cancellationToken = default)
    {
        var result = await GetAsync(_progress, cancellationToken);
        return new(result.Value?.OrderBy(s => s.Order).ToList(), result.Problem);
    }

    public async Task<ApiResult<ComplianceStatusList>> ComplianceStatusesAsync(CancellationToken cancellationToken = default)
    {
        var result = await GetAsync(_standings, cancellationToken);
        return new(result.Value is { } v ? new([.. v.Standings.OrderBy(s => s.Order)], [.. v.Filters.OrderBy(f => f.Order)]) : null, result.Problem);
    }

    private async Task<ApiResult<T>> GetAsync<T>(Cached<T> cached, CancellationToken cancellationToken) where T : class
    {
        if (cached.FreshAt(time.GetUtcNow()) is { } fresh)
        {
            return new(fresh, null);
        }
        await cached.Lock.WaitAsync(cancellationToken);
        try
        {
            // Another caller may have refreshed it while this one waited.
            if (cached.FreshAt(time.GetUtcNow()) is { } refreshed)
            {
                return new(refreshed, null);
            }
            var fetched = await FetchAsync<T>(cached.Path, cancellationToken);
            if (fetched.Ok && fetched.Value is not null)
            {
                cached.Keep(fetched.Value, time.GetUtcNow() + FreshFor);
                return fetched;
            }
            return cached.Last is { } last ? new(last, null) : new(null, fetched.Problem ?? ApiProblem.Unreachable);
        }
        finally
        {
            cached.Lock.Release();
        }
    }

    private async Task<ApiResult<T>> FetchAsync<T>(string path, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await clients.CreateClient(GatewayClient.HttpClientName).GetAsync(path, cancellationToken);
            return response.IsSuccessStatusCode
                ? new(await response.Content.ReadFromJsonAsync<T>(GatewayClient.Json, cancellationToken), null)
                : new(default, ApiProblem.From(response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken)));
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or Polly.Timeout.TimeoutRejectedException
                                      or Polly.CircuitBreaker.BrokenCircuitException or System.Text.Json.JsonException
                                  || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new(default, ApiProblem.Unreachable);
        }
    }

    private sealed class Cached<T>(string path) where T : class
    {
        private sealed record Entry(T Value, DateTimeOffset FreshUntil);

        // One reference, replaced whole: readers outside the lock see a value with its own time, never half of each.
        private volatile Entry? _entry;

        public string Path { get; } = path;
        public SemaphoreSlim Lock { get; } = new(1, 1);
        public T? Last => _entry?.Value;

        public T? FreshAt(DateTimeOffset now) => _entry is { } entry && now < entry.FreshUntil ? entry.Value : null;

        public void Keep(T value, DateTimeOffset freshUntil) => _entry = new(value, freshUntil);
    }
}
