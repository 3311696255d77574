using System.Globalization;
using TrainingPlatform.Services.Credits.Policies;

namespace TrainingPlatform.Services.Credits.Compliance;

/// <summary>What compliance needs of a teacher.</summary>
public sealed record TeacherFacts(Guid Id, DateOnly HireDate, bool NormalSchoolGraduate, bool ClassTeacher);

/// <summary>A ledger entry as compliance counts it (reversals carry negative hours).</summary>
public sealed record Credit(decimal Hours, string Category, string Mode, string Level, string Source, int Year);

public static class ComplianceStatuses
{
    public const string Met = "met";
    public const string OnTrack = "on_track";
    public const string AtRisk = "at_risk";
    public const string NotMet = "not_met";
    /// <summary>A year of the cycle that has not begun yet.</summary>
    public const string Pending = "pending";

    /// <summary>Every status a rule can have, in display order (the order pages list and chart them in).</summary>
    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Met] = "已达标", [OnTrack] = "进度正常", [AtRisk] = "有风险", [NotMet] = "未达标", [Pending] = "未开始",
    };

    /// <summary>What each status means, in words a school or bureau reading a list of teachers by it understands.</summary>
    public static readonly IReadOnlyDictionary<string, string> Meanings = new Dictionary<string, string>
    {
        [Met] = "各项要求均已完成",
        [OnTrack] = "尚未完成，按目前进度可以按期完成",
        [AtRisk] = "尚未完成，按目前进度到期难以完成",
        [NotMet] = "期限已过仍未完成，或有年度考核不合格",
        [Pending] = "期限尚未开始",
    };
}

/// <summary>
/// A teacher's standing in a whole cycle (<see cref="ComplianceResult.Overall"/>): one of the rule statuses, but never
/// <see cref="ComplianceStatuses.Pending"/> — <see cref="ComplianceRules.Evaluate"/> calls a cycle whose rules have not
/// all begun on track.
/// </summary>
public static class CycleStandings
{
    public static readonly IReadOnlyDictionary<string, string> Names =
        ComplianceStatuses.Names.Where(n => n.Key != ComplianceStatuses.Pending).ToDictionary(n => n.Key, n => n.Value);
}

public sealed record RuleStatus(string Key, string Label, string Period, int? Year, decimal Required, decimal Earned, decimal Needed, string Status,
    string Explanation);

public sealed record ComplianceResult(int CycleStart, int CycleEnd, string Overall, IReadOnlyList<RuleStatus> Rules, IReadOnlyList<int> FailedYears,
    bool CertificateEligible, string Summary);

/// <summary>
/// A teacher's standing on every rule of the policy for one cycle, in plain Chinese. Pure: the same ledger, policy
/// and day always give the same answer. A rule not yet met is "at risk" when, at the pace so far, the hours would not
/// be reached by the end of its period (a grace of the first 90 days keeps a fresh period from alarming everyone).
/// A year the teacher opted out of, dropped out of or failed is not met, whatever the hours.
/// </summary>
public static class ComplianceRules
{
    private const int GraceDays = 90;

    public static ComplianceResult Evaluate(CreditPolicy policy, TeacherFacts teacher, IReadOnlyList<Credit> credits, IReadOnlySet<int> failedYears,
        DateOnly today, int cycleStart)
    {
        var cycleEnd = cycleStart + policy.CycleYears - 1;
        var statuses = new List<RuleStatus>();
        foreach (var rule in policy.Rules.Where(r => Applies(r, teacher)))
        {
            switch (rule.Period)
            {
                case RulePeriods.Cycle:
                    statuses.Add(Judge(rule, null, Sum(rule, credits, cycleStart, cycleEnd), From(cycleStart, teacher), new(cycleEnd, 12, 31), today, false));
                    break;
                case RulePeriods.Year:
                    // Nobody owes hours for a year before they were hired.
                    for (var year = Math.Max(cycleStart, teacher.HireDate.Year); year <= cycleEnd; year++)
                    {
                        statuses.Add(Judge(rule, year, Sum(rule, credits, year, year), From(year, teacher), new(year, 12, 31), today, failedYears.Contains(year)));
                    }
                    break;
                case RulePeriods.FirstYear when teacher.HireDate.Year >= cycleStart && teacher.HireDate.Year <= cycleEnd:
                    var first = teacher.HireDate.Year;
                    statuses.Add(Judge(rule, first, Sum(rule, credits, first, first), From(first, teacher), new(first, 12, 31), today, failedYears.Contains(first)));
                    break;
            }
        }
        var failed = failedYears.Where(y => y >= cycleStart && y <= cycleEnd).Order().ToList();
        var overall = statuses.Any(s => s.Status == ComplianceStatuses.NotMet) || failed.Count > 0 ? ComplianceStatuses.NotMet
            : statuses.Any(s => s.Status == ComplianceStatuses.AtRisk) ? ComplianceStatuses.AtRisk
            : statuses.All(s => s.Status == ComplianceStatuses.Met) ? ComplianceStatuses.Met
            : ComplianceStatuses.OnTrack;
        var eligible = overall == ComplianceStatuses.Met;
        var summary = overall switch
        {
            ComplianceStatuses.Met => $"{cycleStart}–{cycleEnd} 周期各项要求均已达标",
            _ => string.Join("；", statuses.Where(s => s.Status is ComplianceStatuses.NotMet or ComplianceStatuses.AtRisk).Select(s => s.Explanation)
                .Concat(failed.Select(y => $"{y} 年度考核不合格（不参训、中途退出或考核未通过）")).DefaultIfEmpty("各项要求进度正常")),
        };
        return new ComplianceResult(cycleStart, cycleEnd, overall, statuses, failed, eligible, summary);
    }

    private static bool Applies(CreditRule rule, TeacherFacts teacher) => rule.AppliesTo switch
    {
        RuleSubjects.ClassTeachers => teacher.ClassTeacher,
        RuleSubjects.NewNormalSchool => teacher.NormalSchoolGraduate,
        RuleSubjects.NewOther => !teacher.NormalSchoolGraduate,
        _ => true,
    };

    /// <summary>A period starts on 1 January of its first year, or on the hire date for a teacher hired during it: their pace counts from then.</summary>
    private static DateOnly From(int year, TeacherFacts teacher) =>
        teacher.HireDate > new DateOnly(year, 1, 1) ? teacher.HireDate : new DateOnly(year, 1, 1);

    private static decimal Sum(CreditRule rule, IReadOnlyList<Credit> credits, int fromYear, int toYear) =>
        credits.Where(c => c.Year >= fromYear && c.Year <= toYear && rule.Counting().Counts(c.Category, c.Mode, c.Level, c.Source)).Sum(c => c.Hours);

    private static RuleStatus Judge(CreditRule rule, int? year, decimal earned, DateOnly from, DateOnly to, DateOnly today, bool failedYear)
    {
        var needed = Math.Max(0, rule.MinHours - earned);
        var label = year is { } y ? $"{y} 年{rule.Label}" : rule.Label;
        var head = $"{label}：要求 {H(rule.MinHours)} 学时，已获 {H(earned)} 学时";
        string status;
        string explanation;
        if (failedYear)
        {
            status = ComplianceStatuses.NotMet;
            explanation = $"{head}；该年度考核不合格";
        }
        else if (needed == 0)
        {
            status = ComplianceStatuses.Met;
            explanation = $"{head}，已达标";
        }
        else if (today > to)
        {
            status = ComplianceStatuses.NotMet;
            explanation = $"{head}，差 {H(needed)} 学时，该期限已过";
        }
        else if (today < from)
        {
            status = ComplianceStatuses.Pending;
            explanation = $"{head}，尚未开始";
        }
        else
        {
            var elapsed = today.DayNumber - from.DayNumber + 1;
            var total = to.DayNumber - from.DayNumber + 1;
            var projected = elapsed <= GraceDays ? decimal.MaxValue : earned * total / elapsed;
            status = projected >= rule.MinHours ? ComplianceStatuses.OnTrack : ComplianceStatuses.AtRisk;
            explanation = status == ComplianceStatuses.OnTrack
                ? $"{head}，还需 {H(needed)} 学时，截止 {to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}"
                : $"{head}，还需 {H(needed)} 学时，按目前进度到 {to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} 难以完成";
        }
        return new RuleStatus(rule.Key, rule.Label, rule.Period, year, rule.MinHours, earned, needed, status, explanation);
    }

    private static string H(decimal hours) => hours.ToString("0.#", CultureInfo.InvariantCulture);
}
