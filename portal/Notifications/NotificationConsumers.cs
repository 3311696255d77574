using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Credits;
using TrainingPlatform.Contracts.Enrollment;
using TrainingPlatform.Portal.Gateway;

namespace TrainingPlatform.Portal.Notifications;

// Each event the users should hear about becomes one notification in the inbox of the person (or school) it concerns.
// Idempotent consumers: a redelivered event adds nothing twice. Queues are portal-<message>, like every service's.

public sealed class WaitingListPromotedConsumer(NpgsqlDataSource db) : IdempotentConsumer<WaitingListPromoted>(db)
{
    protected override Task HandleAsync(WaitingListPromoted m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        NotificationStore.AddAsync(unitOfWork, new(Recipient.Teacher, m.TeacherId), "waiting-list-promoted", "候补成功",
            $"有名额空出，你已从候补名单递补选上“{m.CourseTitle}”。", "/my-year", m.PromotedAt, cancellationToken);
}

public sealed class CreditApplicationDecidedConsumer(NpgsqlDataSource db, ReferenceData reference) : IdempotentConsumer<CreditApplicationDecided>(db)
{
    protected override async Task HandleAsync(CreditApplicationDecided m, UnitOfWork unitOfWork, CancellationToken cancellationToken)
    {
        // Worded from Credits' chain. Without it (Credits unreachable since the portal started) the message is retried
        // rather than telling the teacher a step's code.
        var chain = (await reference.ApprovalChainAsync(cancellationToken)).Value
                    ?? throw new InvalidOperationException("学时申请审批流程暂时无法读取，稍后重试");
        var (title, body) = Words(chain, m);
        await NotificationStore.AddAsync(unitOfWork, new(Recipient.Teacher, m.TeacherId), "credit-application-decided", title, body,
            $"/applications?id={m.ApplicationId}", m.DecidedAt, cancellationToken);
    }

    /// <summary>The notification's title and text for a decision, in the chain's words.</summary>
    public static (string Title, string Body) Words(ApprovalChain chain, CreditApplicationDecided m)
    {
        var step = chain.Step(m.Step)?.Name ?? m.Step;
        if (m.Decision == chain.RejectedDecision)
        {
            return ("学时申请被退回", $"“{m.Title}”在{step}环节被退回：{m.Reason}。请修改后重新提交。");
        }
        return m.Status == chain.FinalStatus
            ? ("学时已登记", $"“{m.Title}”已通过全部审批并登记入学时档案。")
            : ("学时申请已通过一步", chain.WaitingAt(m.Status) is { } next
                ? $"“{m.Title}”已通过{step}，进入{next.Name}环节。"
                : $"“{m.Title}”已通过{step}，进入下一环节。");
    }
}

public sealed class CertificateIssuedConsumer(NpgsqlDataSource db) : IdempotentConsumer<CertificateIssued>(db)
{
    protected override Task HandleAsync(CertificateIssued m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        NotificationStore.AddAsync(unitOfWork, new(Recipient.Teacher, m.TeacherId), "certificate-issued", "继续教育合格证已发放",
            $"你 {m.CycleStart}—{m.CycleEnd} 年周期的继续教育合格证已发放，证书编号 {m.Number}。", "/certificates", m.IssuedAt, cancellationToken);
}

public sealed class CertificateRevokedConsumer(NpgsqlDataSource db) : IdempotentConsumer<CertificateRevoked>(db)
{
    protected override Task HandleAsync(CertificateRevoked m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        NotificationStore.AddAsync(unitOfWork, new(Recipient.Teacher, m.TeacherId), "certificate-revoked", "合格证已撤销",
            $"证书 {m.Number} 已撤销：{m.Reason}", "/certificates", m.RevokedAt, cancellationToken);
}

public sealed class ComplianceChangedConsumer(NpgsqlDataSource db) : IdempotentConsumer<ComplianceChanged>(db)
{
    protected override Task HandleAsync(ComplianceChanged m, UnitOfWork unitOfWork, CancellationToken cancellationToken)
    {
        var title = m.Status switch
        {
            "at_risk" => "学时进度预警",
            "not_met" => "学时未达标",
            "met" => "本周期学时已达标",
            _ => null, // on track or not begun: nothing to tell
        };
        return title is null
            ? Task.CompletedTask
            : NotificationStore.AddAsync(unitOfWork, new(Recipient.Teacher, m.TeacherId), "compliance-changed", title, m.Summary, "/transcript",
                m.EvaluatedAt, cancellationToken);
    }
}

public sealed class TeacherOptedOutConsumer(NpgsqlDataSource db) : IdempotentConsumer<TeacherOptedOut>(db)
{
    protected override Task HandleAsync(TeacherOptedOut m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        NotificationStore.AddAsync(unitOfWork, new(Recipient.Teacher, m.TeacherId), "opted-out", "学校已登记你本年度不参训",
            $"{m.ProgramYearCode} 年度不参训已登记（保证书编号 {m.StatementReference}），本年度考核记为不合格。如有异议请联系学校。", "/my-year",
            m.RecordedAt, cancellationToken);
}

public sealed class SchoolTopicsChosenConsumer(NpgsqlDataSource db) : IdempotentConsumer<SchoolTopicsChosen>(db)
{
    /// <summary>Only the freeze is news to the school (it chose the topics itself).</summary>
    protected override Task HandleAsync(SchoolTopicsChosen m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        m.Change != TopicChoiceChanges.Frozen
            ? Task.CompletedTask
            : NotificationStore.AddAsync(unitOfWork, new(Recipient.Staff, m.SchoolId), "school-topics-frozen", "本校选修专题已冻结",
                $"学习已开始，本校所选的 {m.TopicIds.Count} 个选修专题已冻结，不能再修改。", "/school/topics", m.At, cancellationToken);
}

public sealed class SelectionWindowAdjustedConsumer(NpgsqlDataSource db) : IdempotentConsumer<SelectionWindowAdjusted>(db)
{
    protected override Task HandleAsync(SelectionWindowAdjusted m, UnitOfWork unitOfWork, CancellationToken cancellationToken)
    {
        var window = m.Window == SelectionWindows.TopicSelection ? "选专题" : "选课";
        var kind = m.Kind == WindowAdjustmentKinds.Extended ? "延长" : "错峰安排";
        return NotificationStore.AddAsync(unitOfWork, new(Recipient.Staff, m.OrganisationId), "window-adjusted", $"{window}时间{kind}",
            $"{window}时间调整为 {m.OpensOn:yyyy-MM-dd} 至 {m.ClosesOn:yyyy-MM-dd}：{m.Reason}", "/", m.AdjustedAt, cancellationToken);
    }
}
