namespace TrainingPlatform.BuildingBlocks.Time;

/// <summary>
/// How long a background loop (the outbox dispatcher, the audit sealer) waits after consecutive failures: doubling
/// from half a second, capped at 30 s, so a database outage is retried promptly at first and then quietly.
/// </summary>
public static class Backoff
{
    public static TimeSpan After(int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(30_000, 250 * Math.Pow(2, Math.Min(failures, 7))));
}
