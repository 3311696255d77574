namespace TrainingPlatform.BuildingBlocks.Messaging;

/// <summary>Settings under <c>Messaging:Outbox</c>.</summary>
public sealed class OutboxOptions
{
    public const string SectionName = "Messaging:Outbox";

    /// <summary>Rows claimed per transaction; published in parallel, then marked sent together.</summary>
    public int BatchSize { get; set; } = 200;

    /// <summary>
    /// A commit in this process wakes the dispatcher; this poll finds rows nobody signalled (another process's,
    /// or left by a crash).
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a woken dispatcher waits for more commits before it claims: a few milliseconds more per message,
    /// many messages per claim.
    /// </summary>
    public TimeSpan Linger { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Sent rows are kept this long for inspection, then deleted.</summary>
    public TimeSpan SentRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Inbox rows are kept this long. It must be far longer than any redelivery can take, or a very late duplicate
    /// would have a second effect.
    /// </summary>
    public TimeSpan InboxRetention { get; set; } = TimeSpan.FromDays(30);

    public TimeSpan HousekeepingInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Runs after a batch is published and before it is marked sent. Only tests set it, to stand in for a crash
    /// at the worst moment.
    /// </summary>
    internal Func<IReadOnlyList<Guid>, CancellationToken, Task>? AfterPublishBeforeMarkSent { get; set; }
}
