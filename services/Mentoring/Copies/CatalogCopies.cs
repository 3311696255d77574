using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Catalog;

namespace TrainingPlatform.Services.Mentoring.Copies;

/// <summary>A program year's dates that mentoring follows: when group lists are due.</summary>
public sealed record YearRow
{
    public Guid Id { get; init; }
    public string Code { get; init; } = "";
    public string Name { get; init; } = "";
    public DateOnly GroupListsDue { get; init; }
    public DateOnly StudyStarts { get; init; }
}

/// <summary>The catalog as mentoring needs it: years, topics (one workshop each) and the schools' topic choices. Highest version wins.</summary>
public sealed class ProgramYearCopy(NpgsqlDataSource db) : IdempotentConsumer<ProgramYearScheduled>(db)
{
    public static Task<YearRow?> FindAsync(NpgsqlConnection connection, string code, NpgsqlTransaction? transaction, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<YearRow>(new CommandDefinition(
            "select id, code, name, group_lists_due, study_starts from program_years where code = @Code", new { Code = code }, transaction,
            cancellationToken: cancellationToken));

    protected override Task HandleAsync(ProgramYearScheduled m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into program_years (id, code, name, group_lists_due, study_starts, credit_registration_closes, version)
            values (@ProgramYearId, @Code, @Name, @GroupListsDue, @StudyStarts, @CreditRegistrationCloses, @Version)
            on conflict (id) do update
            set code = excluded.code, name = excluded.name, group_lists_due = excluded.group_lists_due, study_starts = excluded.study_starts,
                credit_registration_closes = excluded.credit_registration_closes, version = excluded.version
            where program_years.version < excluded.version
            """, new
        {
            m.ProgramYearId, m.Code, m.Name, m.Windows.GroupListsDue, m.Windows.StudyStarts, m.Windows.CreditRegistrationCloses, m.Version,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
}

/// <summary>A topic's copy; its workshop opens with the first version that arrives.</summary>
public sealed class TopicCopy(NpgsqlDataSource db) : IdempotentConsumer<TopicDefined>(db)
{
    protected override Task HandleAsync(TopicDefined m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into topics (id, program_year_id, code, name, stages, version)
            values (@TopicId, @ProgramYearId, @Code, @Name, @Stages, @Version)
            on conflict (id) do update
            set code = excluded.code, name = excluded.name, stages = excluded.stages, version = excluded.version
            where topics.version < excluded.version;
            insert into workshops (id, topic_id, program_year_id, opened_at)
            values (@TopicId, @TopicId, @ProgramYearId, @DefinedAt)
            on conflict (topic_id) do nothing;
            """, new { m.TopicId, m.ProgramYearId, m.Code, m.Name, Stages = m.Stages.ToArray(), m.Version, m.DefinedAt },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
}

public sealed class SchoolTopicsCopy(NpgsqlDataSource db) : IdempotentConsumer<SchoolTopicsChosen>(db)
{
    protected override Task HandleAsync(SchoolTopicsChosen m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into school_topics (program_year_id, school_id, school_path, topic_ids, version)
            values (@ProgramYearId, @SchoolId, @SchoolPath, @TopicIds, @Version)
            on conflict (program_year_id, school_id) do update
            set school_path = excluded.school_path, topic_ids = excluded.topic_ids, version = excluded.version
            where school_topics.version < excluded.version
            """, new { m.ProgramYearId, m.SchoolId, m.SchoolPath, TopicIds = m.TopicIds.ToArray(), m.Version },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
}
