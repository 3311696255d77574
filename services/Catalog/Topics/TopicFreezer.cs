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
        var frozen = await TopicChoiceStore.FreezeDueAsync(unitOfWork, ProvinceCalendar.Today(clock), now, BatchSize, cancellationToken);
        foreach (var choice in frozen)
        {
            await unitOfWork.PublishAsync(new SchoolTopicsChosen(choice.ProgramYearId, choice.SchoolId, choice.SchoolPath, choice.TopicIds,
                TopicChoiceChanges.Frozen, choice.Version, now), cancellationToken);
        }
        await unitOfWork.CommitAsync(cancellationToken);
        return frozen.Count;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Froze {Count} schools' topic choices: study has started")]
    private partial void LogFrozen(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Freezing topic choices failed; will retry")]
    private partial void LogFailed(Exception exception);
}
