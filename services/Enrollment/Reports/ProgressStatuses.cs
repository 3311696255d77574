namespace TrainingPlatform.Services.Enrollment.Reports;

/// <summary>
/// A teacher's standing in the year (the rule that decides it: <see cref="ProgressStatus"/>), with the names people see,
/// in the order pages show them: done first, then on track, then the ones that need attention.
/// </summary>
public static class ProgressStatuses
{
    public const string Completed = ProgressStatus.Completed;
    public const string OnTrack = ProgressStatus.OnTrack;
    public const string Behind = ProgressStatus.Behind;
    public const string NotStarted = ProgressStatus.NotStarted;
    public const string OptedOut = ProgressStatus.OptedOut;

    /// <summary>Each status and its name, in display order.</summary>
    public static readonly IReadOnlyDictionary<string, string> Names = new[] { Completed, OnTrack, Behind, NotStarted, OptedOut }
        .ToDictionary(code => code, code => ProgressStatus.ChineseNames[code]);
}
