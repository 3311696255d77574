using TrainingPlatform.Contracts.Credits;

namespace TrainingPlatform.Services.Credits.Applications;

/// <summary>The sources a teacher may apply for; the others (courses, school-based research) are posted by the platform itself.</summary>
public static class ApplicationSources
{
    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [CreditSources.ExternalTraining] = CreditSources.Names[CreditSources.ExternalTraining],
        [CreditSources.DegreeUpgrade] = CreditSources.Names[CreditSources.DegreeUpgrade],
        [CreditSources.Mentoring] = CreditSources.Names[CreditSources.Mentoring],
    };
}

/// <summary>What an approver decides at their step.</summary>
public static class ApplicationDecisions
{
    public const string Approve = "approve";
    public const string Reject = "reject";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Approve] = "通过", [Reject] = "退回",
    };
}

/// <summary>The steps an application's history records: the teacher's own and the chain's (<see cref="ApprovalChain"/>).</summary>
public static class ApplicationSteps
{
    public const string Apply = "apply";
    public const string Amend = "amend";
    public const string Review = "review";
    public const string Certify = "certify";
    public const string Register = "register";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Apply] = "教师提交", [Amend] = "教师修改", [Review] = "学校审核", [Certify] = "教研室认定", [Register] = "培训机构登记",
    };
}

/// <summary>What happened at a step of an application's history.</summary>
public static class StepOutcomes
{
    public const string Submitted = "submitted";
    public const string Amended = "amended";
    public const string Resubmitted = "resubmitted";
    public const string Approved = "approved";
    public const string Rejected = "rejected";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Submitted] = "已提交", [Amended] = "已修改", [Resubmitted] = "重新提交", [Approved] = "通过", [Rejected] = "退回",
    };
}
