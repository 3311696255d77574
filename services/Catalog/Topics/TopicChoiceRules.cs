using System.Globalization;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Services.Catalog.ProgramYears;

namespace TrainingPlatform.Services.Catalog.Topics;

/// <summary>The answer to "may this school choose (or change) its topics today?"</summary>
public sealed record TopicChoiceDecision(bool Allowed, string Change, int Status, string Rule, string Reason)
{
    public static TopicChoiceDecision Allow(string change) => new(true, change, 200, "", "");

    public static TopicChoiceDecision Refuse(int status, string rule, string reason) => new(false, "", status, rule, reason);
}

/// <summary>
/// The seed's rule (004): a school chooses its topics inside the selection window; until study starts it may
/// change them; after that they are frozen. Kindergartens choose no topics: their teachers choose courses directly.
/// </summary>
public static class TopicChoiceRules
{
    public static TopicChoiceDecision Decide(DateOnly today, EffectiveWindow window, DateOnly studyStarts, bool alreadyChosen,
        IReadOnlyCollection<string> schoolStages)
    {
        static string D(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (schoolStages.Count > 0 && schoolStages.All(s => s == Stages.Kindergarten))
        {
            return TopicChoiceDecision.Refuse(422, "kindergarten-no-topics", "幼儿园不选专题：幼儿园教师直接选择课程");
        }
        if (today >= studyStarts)
        {
            return TopicChoiceDecision.Refuse(409, "frozen", $"学习已于 {D(studyStarts)} 开始，本校专题已冻结，不能再选择或调整");
        }
        if (alreadyChosen)
        {
            return TopicChoiceDecision.Allow(TopicChoiceChanges.Changed);
        }
        if (today < window.OpensOn)
        {
            return TopicChoiceDecision.Refuse(409, "window-not-open", $"学校选专题时间为 {D(window.OpensOn)} 至 {D(window.ClosesOn)}，尚未开始");
        }
        if (today > window.ClosesOn)
        {
            return TopicChoiceDecision.Refuse(409, "window-closed",
                $"学校选专题已于 {D(window.ClosesOn)} 截止；如需补选，请联系平台运营为本校或所在区县延长时间");
        }
        return TopicChoiceDecision.Allow(TopicChoiceChanges.Chosen);
    }
}

/// <summary>Where a school stands with its topics for a year.</summary>
public static class TopicChoiceStatuses
{
    public const string Pending = "pending";
    public const string Chosen = "chosen";
    public const string Frozen = "frozen";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Pending] = "未选", [Chosen] = "已选", [Frozen] = "已冻结（学习已开始）",
    };
}

/// <summary>What the list of schools' choices may be filtered by.</summary>
public static class TopicChoiceStatusFilters
{
    public const string All = "all";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [TopicChoiceStatuses.Pending] = "未选", [TopicChoiceStatuses.Chosen] = "已选", [All] = "全部",
    };
}
