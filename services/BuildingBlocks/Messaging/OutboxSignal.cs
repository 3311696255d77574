namespace TrainingPlatform.BuildingBlocks.Messaging;

/// <summary>
/// Wakes this process's outbox dispatchers when a transaction that wrote outbox rows has committed.
/// In-process rather than PostgreSQL's NOTIFY: a committing transaction that has notified holds one database-wide
/// lock until its commit record is flushed, so on course-selection day every write would queue behind the one
/// before it. Each replica dispatches the rows it wrote itself; rows from anywhere else (a script, a crashed
/// replica's leftovers) are found by the dispatchers' poll.
/// </summary>
internal static class OutboxSignal
{
    private static event Action? Raised;

    public static void Raise() => Raised?.Invoke();

    /// <summary>Calls <paramref name="wakeUp"/> on every signal until the returned handle is disposed.</summary>
    public static IDisposable Subscribe(Action wakeUp)
    {
        Raised += wakeUp;
        return new Subscription(wakeUp);
    }

    private sealed class Subscription(Action wakeUp) : IDisposable
    {
        public void Dispose() => Raised -= wakeUp;
    }
}
