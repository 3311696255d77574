using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Catalog;

namespace TrainingPlatform.Services.Credits.Copies;

/// <summary>A program year's calendar year and credit-registration deadline, newest version kept.</summary>
public sealed class ProgramYearScheduledCopy(NpgsqlDataSource db) : IdempotentConsumer<ProgramYearScheduled>(db)
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
