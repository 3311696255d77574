using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Mentoring;
using TrainingPlatform.Services.Credits.Policies;

namespace TrainingPlatform.Services.Credits.Ledger;

/// <summary>
/// A mentoring activity the served school confirmed (a mentor's session, a supporting teacher's day at a weak school,
/// a guide's session) becomes exactly one ledger entry of source <c>mentoring</c>: the activity is the source
/// reference, so a redelivered or duplicated message posts nothing more. Like a course, it is refused with the reason
/// when confirmed after its year's registration closed, unless an operator reopened the year.
/// </summary>
public sealed class MentoringActivityCreditedConsumer(NpgsqlDataSource db) : IdempotentConsumer<MentoringActivityCredited>(db)
{
    protected override async Task HandleAsync(MentoringActivityCredited m, UnitOfWork unitOfWork, CancellationToken cancellationToken)
    {
        if (m.Hours <= 0)
        {
            throw new PermanentMessageFailure($"指导带教活动 {m.ActivityId} 的学时 {m.Hours} 无效 (hours must be positive)");
        }
        var policy = await PolicyStore.ActiveAsync(unitOfWork.Connection, unitOfWork.Transaction, cancellationToken);
        var entry = new LedgerEntry
        {
            Id = Guid.CreateVersion7(m.ConfirmedAt),
            TeacherId = m.TeacherId,
            Hours = m.Hours,
            Category = m.Category,
            Mode = m.Mode,
            Level = m.Level,
            Source = Contracts.Credits.CreditSources.Mentoring,
            SourceRef = $"mentoring:{m.ActivityId}",
            Title = m.Title,
            Year = m.Year,
            CycleStart = policy.CycleOf(m.Year).First,
            PostedBy = $"指导带教活动（{m.ConfirmedBy} 确认）",
            PostedAt = m.ConfirmedAt,
        };
        await LedgerStore.PostUnlessClosedAsync(unitOfWork, entry, ProvinceCalendar.DayOf(m.ConfirmedAt), "活动确认时间晚于截止日期", cancellationToken);
    }
}
