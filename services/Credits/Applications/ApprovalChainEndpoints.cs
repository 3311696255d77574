using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;

namespace TrainingPlatform.Services.Credits.Applications;

/// <summary>A code and what people call it.</summary>
public sealed record ChainCodeView(string Code, string Name);

/// <summary>One step of the approval chain as the portal draws it.</summary>
public sealed record ApprovalStepView(
    [property: Description("顺序，从 1 开始")] int Order,
    [property: Description("环节代码，即申请历史记录中的 step")] string Code,
    [property: Description("环节名称")] string Name,
    [property: Description("办理此环节的角色代码")] string Role,
    [property: Description("办理此环节的角色名称")] string RoleName,
    [property: Description("申请在此环节等待时的状态；教师申请环节为空（由教师发起，退回后重新提交）")] string? WaitingStatus,
    [property: Description("此环节通过后申请的状态")] string ApprovedStatus,
    [property: Description("办理此环节的按钮文字")] string ActionLabel,
    [property: Description("办理此环节的人员菜单中的入口名称")] string MenuLabel,
    [property: Description("申请在此环节等待时的说明，如“等待学校审核”")] string WaitingText);

/// <summary>The chain in order, and the names of the statuses, history steps and decisions an application shows.</summary>
public sealed record ApprovalChainView(
    IReadOnlyList<ApprovalStepView> Steps,
    [property: Description("申请状态及名称")] IReadOnlyList<ChainCodeView> Statuses,
    [property: Description("退回后的状态")] string RejectedStatus,
    [property: Description("全部环节通过后的状态（学时已入档）")] string FinalStatus,
    [property: Description("申请历史中可能出现的环节（含各审批环节与教师修改）")] IReadOnlyList<ChainCodeView> HistorySteps,
    [property: Description("申请历史中每条记录的结果")] IReadOnlyList<ChainCodeView> Decisions,
    [property: Description("历史记录中表示退回的结果")] string RejectedDecision);

/// <summary>
/// The approval chain as defined in <see cref="ApprovalChain"/>, served so that the portal draws the steps, the reviewers'
/// menus and pages and the teachers' notifications from it instead of a copy.
/// </summary>
public static class ApprovalChainEndpoints
{
    public static IEndpointRouteBuilder MapApprovalChainEndpoints(this IEndpointRouteBuilder app)
    {
        // Anonymous: the chain is public reference (like a certificate's verification), and the portal reads it where no
        // user is signed in, when it words a teacher's notification from an event.
        app.MapGet("/api/credits/approval-chain", GetApprovalChain)
            .AllowAnonymous()
            .WithTags("Credit applications")
            .WithName("GetApprovalChain")
            .WithSummary("学时申请审批流程")
            .WithDescription("按顺序列出学时申请的审批环节：环节代码与名称、办理角色、等待与通过后的状态、按钮与菜单文字；以及申请状态、历史环节和处理结果的名称。");
        return app;
    }

    public static Ok<ApprovalChainView> GetApprovalChain() => TypedResults.Ok(View);

    /// <summary>The definition does not change while the service runs: built once.</summary>
    private static readonly ApprovalChainView View = new(
        [.. ApprovalChain.Steps.Select((s, i) => new ApprovalStepView(i + 1, s.Step, s.StepName, s.Role, s.RoleName, s.WaitingStatus, s.ApprovedStatus,
            s.ActionLabel, s.MenuLabel, $"等待{s.StepName}"))],
        [.. ApplicationStatuses.Names.Select(n => new ChainCodeView(n.Key, n.Value))],
        ApplicationStatuses.Rejected,
        ApprovalChain.FinalStatus,
        [.. ApplicationSteps.Names.Select(n => new ChainCodeView(n.Key, n.Value))],
        [.. ApplicationDecisions.Names.Select(n => new ChainCodeView(n.Key, n.Value))],
        ApplicationDecisions.Rejected);
}
