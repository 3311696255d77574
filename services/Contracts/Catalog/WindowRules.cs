using System.Globalization;

namespace TrainingPlatform.Contracts.Catalog;

/// <summary>A window's dates as they apply to one organisation, and where they come from.</summary>
public sealed record EffectiveWindow(string Window, DateOnly OpensOn, DateOnly ClosesOn, string Source, string? Reason)
{
    public bool IsOpenOn(DateOnly day) => day >= OpensOn && day <= ClosesOn;
}

/// <summary>An adjustment as a service keeps it (see <see cref="SelectionWindowAdjusted"/>).</summary>
public sealed record WindowAdjustment
{
    public Guid Id { get; init; }
    public string WindowName { get; init; } = "";
    public string OrganisationPath { get; init; } = "";
    public DateOnly OpensOn { get; init; }
    public DateOnly ClosesOn { get; init; }
    public string Kind { get; init; } = "";
    public string Reason { get; init; } = "";
    public string AdjustedBy { get; init; } = "";
    public DateTimeOffset AdjustedAt { get; init; }
}

/// <summary>
/// Which dates apply to whom — one rule, here beside the messages, so Catalog and Enrollment never disagree: the year's dates, unless an adjustment was set on the organisation or one above it;
/// then the one on the deepest such organisation wins (a school's extension beats its city's staggered opening),
/// and on the same organisation the newest wins.
/// </summary>
public static class WindowRules
{
    public static EffectiveWindow For(string window, string organisationPath, ProgramYearWindows year, IEnumerable<WindowAdjustment> adjustments)
    {
        var applying = adjustments
            .Where(a => a.WindowName == window && IsAtOrAbove(a.OrganisationPath, organisationPath))
            .OrderByDescending(a => a.OrganisationPath.Length)
            .ThenByDescending(a => a.AdjustedAt)
            .FirstOrDefault();
        if (applying is not null)
        {
            return new EffectiveWindow(window, applying.OpensOn, applying.ClosesOn, applying.Kind, applying.Reason);
        }
        return window == SelectionWindows.TopicSelection
            ? new EffectiveWindow(window, year.TopicSelectionOpens, year.TopicSelectionCloses, "year", null)
            : new EffectiveWindow(window, year.CourseSelectionOpens, year.StudyStarts.AddDays(-1), "year", null);
    }

    /// <summary>An adjustment's dates must leave the freeze where it is: nothing is chosen on or after study start.</summary>
    public static IEnumerable<(string Field, string Rule)> AdjustmentProblems(DateOnly opensOn, DateOnly closesOn, ProgramYearWindows year)
    {
        if (closesOn < opensOn)
        {
            yield return ("closesOn", "截止日期不能早于开始日期");
        }
        if (closesOn >= year.StudyStarts)
        {
            yield return ("closesOn", $"截止日期必须早于学习开始日期（{year.StudyStarts.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}）：学习开始后不能再选专题或选课");
        }
    }

    private static bool IsAtOrAbove(string ancestor, string path) =>
        path == ancestor || path.StartsWith(ancestor + "/", StringComparison.Ordinal);
}
