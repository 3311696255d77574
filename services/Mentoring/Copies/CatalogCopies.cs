using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Catalog;

namespace TrainingPlatform.Services.Mentoring.Copies;

/// <summary>The catalog as mentoring needs it: years, topics (one workshop each) and the schools' topic choices. Highest version wins.</summary>
public sealed class ProgramYearScheduledCopy(NpgsqlDataSource db) : IdempotentConsumer<ProgramYearScheduled>(db)
{
    protected override Task HandleAsync(ProgramYearScheduled m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        CopyStore.UpsertYearAsync(m, unitOfWork, cancellationToken);
}

/// <summary>A topic's copy; its workshop opens with the first version that arrives.</summary>
public sealed class TopicDefinedCopy(NpgsqlDataSource db) : IdempotentConsumer<TopicDefined>(db)
{
    protected override Task HandleAsync(TopicDefined m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        CopyStore.UpsertTopicAsync(m, unitOfWork, cancellationToken);
}

/// <summary>Which topics each school chose: its teachers are the members of those topics' workshops.</summary>
public sealed class SchoolTopicsChosenCopy(NpgsqlDataSource db) : IdempotentConsumer<SchoolTopicsChosen>(db)
{
    protected override Task HandleAsync(SchoolTopicsChosen m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        CopyStore.UpsertSchoolTopicsAsync(m, unitOfWork, cancellationToken);
}
