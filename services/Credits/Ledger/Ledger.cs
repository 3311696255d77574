using System.Diagnostics;

namespace TrainingPlatform.Services.Credits.Ledger;

public sealed record LedgerEntry
{
    public Guid Id { get; init; }
    public Guid TeacherId { get; init; }
    public decimal Hours { get; init; }
    public string Category { get; init; } = "";
    public string Mode { get; init; } = "";
    public string Level { get; init; } = "";
    public string Source { get; init; } = "";
    public string SourceRef { get; init; } = "";
    public Guid? ContentId { get; init; }
    public string Title { get; init; } = "";
    public int Year { get; init; }
    public int CycleStart { get; init; }
    public Guid? ReversesId { get; init; }
    public string? Reason { get; init; }
    public string PostedBy { get; init; } = "";
    public DateTimeOffset PostedAt { get; init; }
}

public enum PostOutcome
{
    Posted,
    AlreadyPosted,
    SameContentThisCycle,
}

/// <summary>A credit that arrived by itself, when its cause happened, why it would be late, and the trace it came under.</summary>
public sealed record ArrivedCredit(LedgerEntry Entry, DateOnly HappenedOn, string Why, ActivityContext Trace);

/// <summary>A year's registration deadline and an operator's reopening, if any.</summary>
public sealed record RegistrationWindow(DateOnly? Closes, DateOnly? ReopenedTo)
{
    public (bool Open, DateOnly? ClosedOn) On(DateOnly day) =>
        Closes is null || day <= Closes || (ReopenedTo is not null && day <= ReopenedTo) ? (true, null) : (false, Closes);
}
