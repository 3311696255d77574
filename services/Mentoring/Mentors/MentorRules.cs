using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Services.Mentoring.Mentors;

/// <summary>Who is a new teacher, who may mentor, and how long a pairing lasts (seed 002: new teachers' first three years).</summary>
public static class MentorRules
{
    /// <summary>The most mentees one mentor may be given.</summary>
    public const int MaxCapacity = 10;

    /// <summary>Backbone (深蓝), master (卓越) and leading (领航) teachers may mentor.</summary>
    public static readonly IReadOnlySet<string> MentorTiers = new HashSet<string>(StringComparer.Ordinal) { Tiers.Backbone, Tiers.Master, Tiers.Leading };

    /// <summary>Hired within the last <paramref name="years"/> years (on or after the same day that many years ago), or of the new-teacher tier (春苗).</summary>
    public static bool IsNewTeacher(DateOnly hireDate, string tier, DateOnly today, int years) =>
        tier == Tiers.NewTeacher || Tiers.InFirstYears(hireDate, today, years);

    /// <summary>The first day a teacher hired on or before it no longer counts as new.</summary>
    public static DateOnly NewTeacherHiredAfter(DateOnly today, int years) => today.AddYears(-years);

    public static (DateOnly StartsOn, DateOnly EndsOn) Period(DateOnly startsOn, int years) => (startsOn, startsOn.AddYears(years).AddDays(-1));

    /// <summary>
    /// Why a pairing entered today cannot have begun on <paramref name="startsOn"/>, or null. Mentoring and support
    /// often begin before anyone records them, and their sessions earn hours only inside the pairing's period, so
    /// the start may lie back in this year; never ahead of today, since nothing can be logged for days to come.
    /// </summary>
    public static string? WhyNotStartOn(DateOnly startsOn, DateOnly today) =>
        startsOn > today ? $"开始日期 {startsOn:yyyy-MM-dd} 晚于今天（{today:yyyy-MM-dd}）：结对从今天或此前开始"
        : startsOn.Year != today.Year ? $"开始日期 {startsOn:yyyy-MM-dd} 不在本年度内：补录的结对最早从 {today.Year} 年 1 月 1 日开始"
        : null;

    /// <summary>Why a teacher cannot be a mentor, or null when they can.</summary>
    public static string? WhyNotMentor(string name, string tier, bool inPost) =>
        !inPost ? $"{name} 不在岗，不能担任导师"
        : !MentorTiers.Contains(tier) ? $"{name} 的发展层级不是骨干（深蓝）、卓越或领航，不能担任导师"
        : null;
}
