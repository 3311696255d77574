using System.Globalization;
using TrainingPlatform.Contracts.Mentoring;
using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Services.Mentoring.Activities;

/// <summary>
/// When a mentoring activity may be logged, how many hours it may claim, and what kind of credit it becomes. The
/// school it served confirms it; then Credits registers it like any other credit.
/// </summary>
public static class ActivityRules
{
    /// <summary>The longest record of what was done.</summary>
    public const int DescriptionLength = 2000;

    /// <summary>
    /// Why an activity held on <paramref name="heldOn"/> cannot be logged, or null: only what has happened, and only
    /// inside the pairing's (or guidance's) period — from its first day to the day it ended, early or not.
    /// </summary>
    public static string? WhyNotHeld(DateOnly heldOn, DateOnly today, DateOnly firstDay, DateOnly lastDay)
    {
        if (heldOn > today)
        {
            return $"活动日期 {Day(heldOn)} 还没到：只能登记已经开展的活动";
        }
        return heldOn < firstDay || heldOn > lastDay
            ? $"活动日期 {Day(heldOn)} 不在期间内（{Day(firstDay)} 至 {Day(lastDay)}）"
            : null;
    }

    /// <summary>Hours in half-hour steps, more than none and at most <paramref name="max"/> for one activity (a working day by default).</summary>
    public static bool ValidHours(decimal? hours, decimal max) => hours is > 0 && hours <= max && hours * 2 == decimal.Truncate(hours.Value * 2);

    /// <summary>
    /// Why <paramref name="hours"/> more on <paramref name="day"/> would pass a person's daily cap, or null: a day has
    /// only so many credited hours across every activity they log (mentoring, support, guidance).
    /// <paramref name="logged"/> counts what is waiting or confirmed; rejected activities no longer count.
    /// </summary>
    public static string? WhyOverDailyCap(DateOnly day, decimal logged, decimal hours, decimal maxPerDay) =>
        logged + hours <= maxPerDay
            ? null
            : $"{Day(day)} 已登记 {logged:0.#} 学时，再登记 {hours:0.#} 学时将超过每人每天 {maxPerDay:0.#} 学时的上限";

    /// <summary>
    /// The credit an activity becomes. Mentoring, supporting and guiding happen in schools, so they are school-based
    /// research (校本研修) in category and mode, never online study: a policy's "online hours a year" is not met by
    /// them, and a policy can count or cap them on their own through the source <c>mentoring</c>. The level is the
    /// organisation that arranged the work (<paramref name="level"/>): the school for a mentor, the bureau for a guide
    /// or a support pairing.
    /// </summary>
    public static (string Category, string Mode, string Level) CreditOf(string level) =>
        (CourseCategories.SchoolBased, DeliveryModes.SchoolBased, level);

    /// <summary>An organisation kind (school, township, county, city, province) as a training level.</summary>
    public static string LevelOf(string organisationKind) => organisationKind switch
    {
        "school" => TrainingLevels.School,
        "township" => TrainingLevels.Township,
        "county" => TrainingLevels.County,
        "city" => TrainingLevels.City,
        _ => TrainingLevels.Provincial,
    };

    /// <summary>How the entry reads on the transcript: what, and for whom.</summary>
    public static string CreditTitle(string kind, string title, string servedName) =>
        $"{MentoringActivityKinds.Names.GetValueOrDefault(kind, kind)}：{title}（{servedName}）";

    /// <summary>Why an activity can no longer be confirmed or rejected, or null while it waits.</summary>
    public static string? WhyNotDecide(string status) => status switch
    {
        ActivityStatuses.Logged => null,
        ActivityStatuses.Confirmed => "该活动已确认并登记学时，不能再次确认或退回",
        _ => "该活动已退回；如需登记请教师重新填报",
    };

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

/// <summary>Where a logged activity stands: waiting for the school it served, confirmed (and credited), or rejected.</summary>
public static class ActivityStatuses
{
    public const string Logged = "logged";
    public const string Confirmed = "confirmed";
    public const string Rejected = "rejected";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Logged] = "待确认", [Confirmed] = "已确认", [Rejected] = "已退回",
    };
}

/// <summary>What the served school decides about a logged activity.</summary>
public static class ActivityDecisions
{
    public const string Confirm = "confirm";
    public const string Reject = "reject";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Confirm] = "确认（登记学时）", [Reject] = "退回（须说明原因）",
    };
}
