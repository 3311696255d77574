using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Services.Credits.Policies;

namespace TrainingPlatform.Services.Credits.Compliance;

/// <summary>
/// Keeps every teacher's standing current: whoever was marked (a new entry, a correction, a profile change, an
/// opt-out, a policy change) is evaluated again in the background, in batches shared by replicas. A teacher not yet
/// certified who now meets every rule of the active policy gets their certificate; a certificate a correction broke
/// (under the policy it was issued under) is revoked; a change of standing is announced so the portal can warn.
/// </summary>
internal sealed partial class ComplianceEvaluator(NpgsqlDataSource db, TimeProvider clock, ILogger<ComplianceEvaluator> logger) : BackgroundService
{
    private const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await RunBatchAsync(stoppingToken) == 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500), clock, stoppingToken);
                }
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                LogFailed(exception);
                await Task.Delay(TimeSpan.FromSeconds(5), clock, stoppingToken);
            }
        }
    }

    internal async Task<int> RunBatchAsync(CancellationToken cancellationToken)
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var teachers = await ComplianceStore.ClaimDirtyAsync(unitOfWork, BatchSize, cancellationToken);
        if (teachers.Count == 0)
        {
            return 0;
        }
        var policy = await PolicyStore.ActiveAsync(unitOfWork.Connection, unitOfWork.Transaction, cancellationToken);
        var now = clock.GetUtcNow();
        var standings = await ComplianceStore.StandingsAsync(unitOfWork.Connection, unitOfWork.Transaction, teachers, policy, ProvinceCalendar.DayOf(now),
            onlyCycle: null, cancellationToken);
        await ComplianceStore.SaveAllAsync(unitOfWork, standings, policy, now, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return teachers.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Evaluating compliance failed; will retry")]
    private partial void LogFailed(Exception exception);
}
