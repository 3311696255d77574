using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Enrollment;
using TrainingPlatform.Contracts.Mentoring;
using TrainingPlatform.Services.Credits.Ledger;
using TrainingPlatform.Services.Credits.Policies;

namespace TrainingPlatform.Services.Credits.Copies;

/// <summary>The teacher facts compliance needs (class teacher, new teacher, normal-school background), newest version kept.</summary>
public sealed class TeacherCopy(NpgsqlDataSource db) : IdempotentConsumer<TeacherProfileChanged>(db)
{
    protected override async Task HandleAsync(TeacherProfileChanged m, UnitOfWork unitOfWork, CancellationToken cancellationToken)
    {
        var stored = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into teachers (id, version, name, school_id, school_path, stage, subject, hire_date, normal_school_graduate, class_teacher, in_post)
            values (@TeacherId, @Version, @Name, @SchoolId, @SchoolPath, @Stage, @Subject, @HireDate, @NormalSchoolGraduate, @ClassTeacher, @InPost)
            on conflict (id) do update
            set version = excluded.version, name = excluded.name, school_id = excluded.school_id, school_path = excluded.school_path,
                stage = excluded.stage, subject = excluded.subject, hire_date = excluded.hire_date,
                normal_school_graduate = excluded.normal_school_graduate, class_teacher = excluded.class_teacher, in_post = excluded.in_post
            where teachers.version < excluded.version
            """, m, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (stored > 0)
        {
            await LedgerBook.MarkDirtyAsync(unitOfWork.Connection, unitOfWork.Transaction, [m.TeacherId], cancellationToken);
        }
    }
}

public sealed class ProgramYearCopy(NpgsqlDataSource db) : IdempotentConsumer<ProgramYearScheduled>(db)
{
    protected override Task HandleAsync(ProgramYearScheduled m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into program_years (id, code, year, credit_registration_closes, version)
            values (@ProgramYearId, @Code, @Year, @Closes, @Version)
            on conflict (id) do update set code = excluded.code, year = excluded.year, credit_registration_closes = excluded.credit_registration_closes,
                version = excluded.version
            where program_years.version < excluded.version
            """, new { m.ProgramYearId, m.Code, Year = m.Windows.StudyStarts.Year, Closes = m.Windows.CreditRegistrationCloses, m.Version },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
}

/// <summary>An opted-out year fails the teacher's annual assessment (seed 000).</summary>
public sealed class OptOutCopy(NpgsqlDataSource db) : IdempotentConsumer<TeacherOptedOut>(db)
{
    protected override async Task HandleAsync(TeacherOptedOut m, UnitOfWork unitOfWork, CancellationToken cancellationToken)
    {
        var year = await unitOfWork.Connection.ExecuteScalarAsync<int?>(new CommandDefinition("select year from program_years where id = @ProgramYearId",
            new { m.ProgramYearId }, unitOfWork.Transaction, cancellationToken: cancellationToken)) ?? ProvinceCalendar.DayOf(m.RecordedAt).Year;
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into failed_years (teacher_id, year, reason, recorded_at) values (@TeacherId, @Year, @Reason, @RecordedAt)
            on conflict do nothing
            """, new { m.TeacherId, Year = year, Reason = $"学校登记本年度不参训（保证书 {m.StatementReference}）", m.RecordedAt },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
        await LedgerBook.MarkDirtyAsync(unitOfWork.Connection, unitOfWork.Transaction, [m.TeacherId], cancellationToken);
    }
}

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
        await LedgerBook.PostUnlessClosedAsync(unitOfWork, entry, ProvinceCalendar.DayOf(m.ConfirmedAt), "活动确认时间晚于截止日期", cancellationToken);
    }
}
