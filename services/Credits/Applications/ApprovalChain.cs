using System.ComponentModel;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.Services.Credits.Applications;

public static class ApplicationStatuses
{
    public const string Submitted = "submitted";
    public const string SchoolReviewed = "school_reviewed";
    public const string Certified = "certified";
    public const string Registered = "registered";
    public const string Rejected = "rejected";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Submitted] = "待学校审核", [SchoolReviewed] = "待教研室认定", [Certified] = "待培训机构登记", [Registered] = "已登记", [Rejected] = "已退回",
    };
}

/// <summary>
/// A step of the chain: who takes it (<see cref="Role"/>), at which status it waits (none for the teacher's application,
/// which starts the chain and restarts it after a rejection), where approval leads, and the words people see for it:
/// the button that takes it (<see cref="ActionLabel"/>) and the menu entry of those who take it (<see cref="MenuLabel"/>).
/// </summary>
public sealed record ChainStep(
    [property: Codes(typeof(ApplicationSteps))] string Step,
    string StepName,
    [property: Codes(typeof(Roles)), Description("处理此环节的角色")] string Role,
    [property: Codes(typeof(ApplicationStatuses)), Description("此环节等待处理时申请所处的状态；教师申请环节为空")] string? WaitingStatus,
    [property: Codes(typeof(ApplicationStatuses)), Description("通过后申请进入的状态")] string ApprovedStatus,
    [property: Description("执行此环节的按钮文字")] string ActionLabel,
    [property: Description("处理此环节的人员菜单中的名称")] string MenuLabel)
{
    public string RoleName => Roles.Names[Role];
}

/// <summary>Whether a step may be taken; when not, the HTTP status, the <see cref="Rule"/> that refused it and why.</summary>
public sealed record ChainDecision(bool Allowed, int Status, string Rule, string Reason, ChainStep? Step, string NewStatus);

/// <summary>What an application's history records besides the chain's steps: the teacher amending it.</summary>
public static class ApplicationSteps
{
    public const string Apply = "apply";
    public const string Amend = "amend";

    /// <summary>Every step a history can name: the chain's, then the amendment.</summary>
    public static IReadOnlyDictionary<string, string> Names { get; } =
        ApprovalChain.Steps.Select(s => KeyValuePair.Create(s.Step, s.StepName)).Append(KeyValuePair.Create(Amend, "修改申请")).ToDictionary();
}

/// <summary>What each entry of an application's history says happened.</summary>
public static class ApplicationDecisions
{
    public const string Submitted = "submitted";
    public const string Resubmitted = "resubmitted";
    public const string Amended = "amended";
    public const string Approved = "approved";
    public const string Rejected = "rejected";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Submitted] = "已提交", [Resubmitted] = "重新提交", [Amended] = "已修改", [Approved] = "通过", [Rejected] = "退回",
    };
}

/// <summary>
/// The approval chain of seed 003: teacher applies → the school reviews → the teaching-research office certifies →
/// the training institution registers. Each step belongs to one role; each after the application can reject with a
/// reason, which sends the application back to the teacher to amend and resubmit. The portal draws the chain, its
/// menus and its notifications from <see cref="Steps"/> as served (<c>GET /api/credits/approval-chain</c>), so a step
/// added here (with its status in <see cref="ApplicationStatuses"/> and the migration's check) needs nothing else.
/// </summary>
public static class ApprovalChain
{
    /// <summary>The steps in order.</summary>
    public static readonly IReadOnlyList<ChainStep> Steps =
    [
        new(ApplicationSteps.Apply, "教师申请", Roles.Teacher, null, ApplicationStatuses.Submitted, "提交申请", "学时申请"),
        new("review", "学校审核", Roles.SchoolAdmin, ApplicationStatuses.Submitted, ApplicationStatuses.SchoolReviewed, "审核通过", "学时审核"),
        new("certify", "教研室认定", Roles.ResearchOffice, ApplicationStatuses.SchoolReviewed, ApplicationStatuses.Certified, "认定通过", "学时认定"),
        new("register", "培训机构登记", Roles.TrainingInstitution, ApplicationStatuses.Certified, ApplicationStatuses.Registered, "登记学时", "学时登记"),
    ];

    /// <summary>The steps that decide, by the status at which each waits.</summary>
    public static readonly IReadOnlyDictionary<string, ChainStep> ByStatus =
        Steps.Where(s => s.WaitingStatus is not null).ToDictionary(s => s.WaitingStatus!);

    /// <summary>Where the last approval leads: nothing waits any more, the hours are in the ledger.</summary>
    public static string FinalStatus => Steps[^1].ApprovedStatus;

    public static ChainDecision Decide(string status, string role, bool approve, string? reason)
    {
        if (!ByStatus.TryGetValue(status, out var step))
        {
            return new(false, 409, "no-pending-step", $"申请当前状态为“{ApplicationStatuses.Names.GetValueOrDefault(status, status)}”，没有待处理的审批环节", null, status);
        }
        if (role != step.Role)
        {
            return new(false, 403, "wrong-role", $"此申请处于“{step.StepName}”环节，应由{step.RoleName}处理", step, status);
        }
        if (!approve && string.IsNullOrWhiteSpace(reason))
        {
            return new(false, 400, "reason-required", "退回必须说明原因", step, status);
        }
        return new(true, 200, "", "", step, approve ? step.ApprovedStatus : ApplicationStatuses.Rejected);
    }

    /// <summary>The teacher may amend while nobody has approved yet, and after a rejection; resubmitting is only after a rejection.</summary>
    public static bool TeacherMayAmend(string status) => status is ApplicationStatuses.Submitted or ApplicationStatuses.Rejected;
}
