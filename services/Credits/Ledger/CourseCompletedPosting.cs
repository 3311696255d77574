using MassTransit;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Enrollment;
using TrainingPlatform.Services.Credits.Policies;

namespace TrainingPlatform.Services.Credits.Ledger;

/// <summary>
/// A completed course becomes exactly one ledger entry, however many times the message comes (the enrollment is the
/// source reference), and never a second one for the same content in the cycle. A course completed after its
/// year's registration closed is refused with that reason, unless an operator reopened the year.
/// <para>
/// Course-selection season ends in thousands of completions a second, so they are posted in batches: the
/// completions consumed at the same moment share one transaction (see <see cref="InboxBatcher{TMessage}"/>).
/// </para>
/// </summary>
public sealed class CourseCompletedPosting(NpgsqlDataSource db, ILogger<CourseCompletedPosting> logger) : InboxBatcher<CourseCompleted>(db, logger)
{
    // The inbox key the one-at-a-time consumer used, so completions it handled are not posted again.
    protected override string ConsumerName => nameof(CourseCompletedConsumer);

    // No course is worth more than a whole cycle.
    private const decimal MaxHours = 360;

    protected override async Task HandleAsync(IReadOnlyList<Inbound<CourseCompleted>> messages, UnitOfWork unitOfWork, CancellationToken cancellationToken)
    {
        var years = await LedgerStore.ProgramYearsAsync(unitOfWork, messages.Select(m => m.Message.ProgramYearId), cancellationToken);
        var policy = await PolicyStore.ActiveAsync(unitOfWork.Connection, unitOfWork.Transaction, cancellationToken);
        await LedgerStore.PostAllUnlessClosedAsync(unitOfWork, [.. messages.Select(inbound =>
        {
            var m = inbound.Message;
            if (m.Hours is <= 0 or > MaxHours)
            {
                // Fails the batch; handled alone, it goes to the error queue with this reason and the rest are posted.
                throw new PermanentMessageFailure($"课程完成消息 {inbound.MessageId} 的学时 {m.Hours} 无效 (hours must be in (0, {MaxHours}])");
            }
            // A year not (yet) copied from Catalog: its code is the year.
            var year = years.TryGetValue(m.ProgramYearId, out var known) ? known
                : int.TryParse(m.ProgramYearCode, out var code) ? code : ProvinceCalendar.DayOf(m.CompletedAt).Year;
            var entry = new LedgerEntry
            {
                Id = Guid.CreateVersion7(m.CompletedAt),
                TeacherId = m.TeacherId,
                Hours = m.Hours,
                Category = m.Category,
                Mode = m.Mode,
                Level = m.Level,
                Source = Contracts.Credits.CreditSources.CourseCompletion,
                SourceRef = $"enrollment:{m.EnrollmentId}",
                ContentId = m.ContentId,
                Title = m.CourseTitle,
                Year = year,
                CycleStart = policy.CycleOf(year).First,
                PostedBy = "课程完成（自动登记）",
                PostedAt = m.CompletedAt,
            };
            return new ArrivedCredit(entry, ProvinceCalendar.DayOf(m.CompletedAt), "课程完成时间晚于截止日期", inbound.Trace);
        })], cancellationToken);
    }
}

/// <summary>MassTransit's consumer for <see cref="CourseCompleted"/> (queue <c>credits-course-completed</c>); the posting batches it.</summary>
public sealed class CourseCompletedConsumer(InboxBatcher<CourseCompleted> posting) : BatchedConsumer<CourseCompleted>(posting);

public sealed class CourseCompletedConsumerDefinition : BatchedConsumerDefinition<CourseCompletedConsumer>;
