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

/// <summary>What an approver decides at their step (the history records it as <see cref="ApplicationDecisions"/>).</summary>
public static class ApproverDecisions
{
    public const string Approve = "approve";
    public const string Reject = "reject";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Approve] = "通过", [Reject] = "退回",
    };
}

