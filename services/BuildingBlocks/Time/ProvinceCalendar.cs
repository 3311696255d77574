namespace TrainingPlatform.BuildingBlocks.Time;

/// <summary>
/// Program dates (windows, deadlines) are calendar days in the province, which keeps China Standard Time (UTC+8, no
/// daylight saving): a window that closes on 7/2 is open until midnight of 7/2 in Beijing, whatever the server's zone.
/// </summary>
public static class ProvinceCalendar
{
    public static readonly TimeSpan Offset = TimeSpan.FromHours(8);

    public static DateOnly Today(TimeProvider clock) => DayOf(clock.GetUtcNow());

    /// <summary>The province's calendar day at <paramref name="instant"/>.</summary>
    public static DateOnly DayOf(DateTimeOffset instant) => DateOnly.FromDateTime(instant.ToOffset(Offset).DateTime);

    /// <summary>The first instant of <paramref name="day"/> in the province.</summary>
    public static DateTimeOffset StartOf(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), Offset);
}
