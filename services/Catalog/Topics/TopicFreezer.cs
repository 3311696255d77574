using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Catalog;

namespace TrainingPlatform.Services.Catalog.Topics;

/// <summary>
/// When study starts, every school's topic choice for that year is frozen and announced (<see cref="TopicChoiceChanges.Frozen"/>),
/// so the other services need no clock of their own for it. Runs in batches with SKIP LOCKED, so replicas share the
/// work and a crash only delays it.
/// </summary>
internal sealed partial class TopicFreezer(NpgsqlDataSource db, TimeProvider clock, ILogger<TopicFreezer> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);
    private const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                int frozen;
                while ((frozen = await FreezeBatchAsync(stoppingToken)) > 0)
                {
                    LogFrozen(frozen);
                }
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                LogFailed(exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    internal async Task<int> FreezeBatchAsync(CancellationToken cancellationToken)
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var now = clock.GetUtcNow();
        var frozen = (await unitOfWork.Connection.QueryAsync<FrozenChoice>(new CommandDefinition("""
            with due as (
                select c.program_year_id, c.school_id
                from school_topic_choices c join program_years y on y.id = c.program_year_id
                where c.frozen_at is null and y.study_starts <= @Today
                limit @BatchSize
                for update of c skip locked
            )
            update school_topic_choices c
            set frozen_at = @Now, version = c.version + 1
            from due
            where c.program_year_id = due.program_year_id and c.school_id = due.school_id
            returning c.program_year_id, c.school_id, c.school_path, c.topic_ids, c.version
            """, new { Today = ProvinceCalendar.Today(clock), Now = now, BatchSize }, unitOfWork.Transaction,
            cancellationToken: cancellationToken))).ToList();
        foreach (var choice in frozen)
        {
            await unitOfWork.PublishAsync(new SchoolTopicsChosen(choice.ProgramYearId, choice.SchoolId, choice.SchoolPath, choice.TopicIds,
                TopicChoiceChanges.Frozen, choice.Version, now), cancellationToken);
        }
        await unitOfWork.CommitAsync(cancellationToken);
        return frozen.Count;
    }

    private sealed record FrozenChoice
    {
        public Guid ProgramYearId { get; init; }
        public Guid SchoolId { get; init; }
        public string SchoolPath { get; init; } = "";
        public Guid[] TopicIds { get; init; } = [];
        public int Version { get; init; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Froze {Count} schools' topic choices: study has started")]
    private partial void LogFrozen(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Freezing topic choices failed; will retry")]
    private partial void LogFailed(Exception exception);
}
