using System.Globalization;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Portal.Components.Shared;

/// <summary>How the portal writes hours, dates and the platform's codes in Chinese.</summary>
public static class Ui
{
    public static readonly IReadOnlyDictionary<string, string> RoleNames = Roles.Names;

    public static string Hours(decimal hours) => hours.ToString("0.#", CultureInfo.InvariantCulture);

    public static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string Date(DateTimeOffset? at) =>
        at is { } value ? value.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "";

    public static string Role(string role) => RoleNames.GetValueOrDefault(role, role);

    public static string Category(string code) => CourseCategories.Names.GetValueOrDefault(code, code);

    public static string Mode(string code) => DeliveryModes.Names.GetValueOrDefault(code, code);

    public static string Level(string code) => TrainingLevels.Names.GetValueOrDefault(code, code);

    public static string Stage(string code) => StageNames.Names.GetValueOrDefault(code, code);

    /// <summary>0–100, for a progress bar: how much of <paramref name="required"/> is done.</summary>
    public static int Percent(decimal done, decimal required) =>
        required <= 0 ? 100 : (int)Math.Clamp(Math.Floor(done * 100 / required), 0, 100);

    /// <summary>The class <c>w-N</c> (app.css) that makes an element N% wide, 0–100: a style attribute would need the CSP to allow inline styles.</summary>
    public static string WidthClass(int percent) => $"w-{Math.Clamp(percent, 0, 100)}";

    /// <summary>A school admin's or teacher's school code: the last part of the organisation path.</summary>
    public static string OwnOrganisationCode(PlatformUser user) => user.OrganisationPath.Split('/')[^1];

    /// <summary>
    /// The colour of a year progress status in charts (Enrollment serves the statuses, their names and order; how they
    /// look is the portal's): a status it does not know yet is shown neutral.
    /// </summary>
    public static string ProgressTone(string status) => status switch
    {
        "completed" => "good",
        "on_track" => "fair",
        "behind" => "warn",
        "opted_out" => "off",
        _ => "idle",
    };

    /// <summary>The same colour as a table cell's class: what needs attention in red, what is done in green.</summary>
    public static string ProgressCellClass(string status) => ProgressTone(status) switch
    {
        "good" => "ok",
        "warn" or "off" => "danger",
        _ => "",
    };

    /// <summary>
    /// The colour of a standing in the five-year cycle in charts (Credits serves the standings, their names and order;
    /// how they look is the portal's): a standing it does not know yet is shown neutral.
    /// </summary>
    public static string StandingTone(string standing) => standing switch
    {
        "met" => "good",
        "on_track" => "fair",
        "at_risk" => "bad",
        "not_met" => "off",
        _ => "idle",
    };

    /// <summary>"初中 数学"; a kindergarten group has no subject.</summary>
    public static string StageSubject(string stage, string subject) => string.IsNullOrEmpty(subject) ? Stage(stage) : $"{Stage(stage)} {subject}";

    /// <summary>The last part of an organisation path (a school's code).</summary>
    public static string CodeOf(string path) => path.Split('/')[^1];

    public static string Percent(decimal share) => share.ToString("0.#", CultureInfo.InvariantCulture) + "%";
}
