namespace TrainingPlatform.Services.Enrollment.Reports;

/// <summary>
/// Where a teacher stands in the year (<see cref="ProgressStatus"/> decides which), with the names people read, in the
/// order reports show them. The one list of them: the rule, the exports, the API documents and the portal read it here.
/// </summary>
public static class ProgressStatuses
{
    public const string Completed = "completed";
    public const string OnTrack = "on_track";
    public const string Behind = "behind";
    public const string NotStarted = "not_started";
    public const string OptedOut = "opted_out";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Completed] = "已完成", [OnTrack] = "进度正常", [Behind] = "进度落后", [NotStarted] = "未开始", [OptedOut] = "不参训",
    };
}

/// <summary>What the teacher lists and exports filter on: one status, or <see cref="All"/>.</summary>
public static class ProgressFilters
{
    public const string All = "all";

    public static readonly IReadOnlyDictionary<string, string> Names =
        new[] { KeyValuePair.Create(All, "全部") }.Concat(ProgressStatuses.Names).ToDictionary();
}
