using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Enrollment;
using TrainingPlatform.Services.Credits.Ledger;

namespace TrainingPlatform.Services.Credits.Copies;

/// <summary>An opted-out year fails the teacher's annual assessment (seed 000).</summary>
public sealed class TeacherOptedOutCopy(NpgsqlDataSource db) : IdempotentConsumer<TeacherOptedOut>(db)
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
        await LedgerStore.MarkDirtyAsync(unitOfWork.Connection, unitOfWork.Transaction, [m.TeacherId], cancellationToken);
    }
}
