using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Services.Enrollment.Copies;

namespace TrainingPlatform.Services.Enrollment.Required;

/// <summary>
/// Pushes a new or changed package to every teacher of its stage, a batch of teachers per transaction, remembering
/// where it got to, so a province of a million teachers is done in the background and a crash resumes the batch.
/// Replicas share the jobs (SKIP LOCKED).
/// </summary>
internal sealed partial class RequiredPushWorker(NpgsqlDataSource db, TimeProvider clock, ILogger<RequiredPushWorker> logger) : BackgroundService
{
    private const int BatchSize = 2000;
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await RunBatchAsync(stoppingToken))
                {
                    await Task.Delay(Idle, clock, stoppingToken);
                }
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                LogFailed(exception);
                await Task.Delay(TimeSpan.FromSeconds(5), clock, stoppingToken);
            }
        }
    }

    /// <summary>One batch of the oldest open job; false when there is nothing to do.</summary>
    internal async Task<bool> RunBatchAsync(CancellationToken cancellationToken)
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var job = await unitOfWork.Connection.QuerySingleOrDefaultAsync<(long Id, Guid ProgramYearId, string Stage, Guid? AfterTeacher)>(
            new CommandDefinition("""
                select id, program_year_id, stage, after_teacher from required_push_jobs
                where done_at is null order by id limit 1 for update skip locked
                """, transaction: unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (job.Id == 0)
        {
            return false;
        }
        var teachers = (await unitOfWork.Connection.QueryAsync<TeacherRow>(new CommandDefinition(TeacherRow.SelectSql + """
             where stage = @Stage and (@After::uuid is null or id > @After) order by id limit @BatchSize
            """, new { job.Stage, After = job.AfterTeacher, BatchSize }, unitOfWork.Transaction, cancellationToken: cancellationToken))).ToList();
        var changes = await RequiredPush.SyncAsync(unitOfWork, teachers, job.ProgramYearId, clock.GetUtcNow(), cancellationToken);
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            update required_push_jobs set after_teacher = @After, done_at = case when @Done then now() end where id = @Id
            """, new { job.Id, After = teachers.Count > 0 ? teachers[^1].Id : job.AfterTeacher, Done = teachers.Count < BatchSize },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
        await unitOfWork.CommitAsync(cancellationToken);
        if (changes > 0)
        {
            LogPushed(job.Stage, teachers.Count, changes);
        }
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Required courses pushed to {Teachers} {Stage} teachers: {Changes} enrollments added or withdrawn")]
    private partial void LogPushed(string stage, int teachers, int changes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pushing required courses failed; will retry")]
    private partial void LogFailed(Exception exception);
}
