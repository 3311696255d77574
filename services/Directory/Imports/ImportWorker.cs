using System.Text.Json;
using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.Services.Directory.Imports;

/// <summary>
/// Runs queued imports one at a time per replica. A job is claimed with SKIP LOCKED, so replicas never take the
/// same one; a job whose worker died mid-run is claimed again after a while (the import is all-or-nothing, so a
/// half-done run left nothing behind).
/// </summary>
public sealed partial class ImportWorker(NpgsqlDataSource db, TeacherImport teachers, SchoolImport schools, ILogger<ImportWorker> logger)
    : BackgroundService
{
    private const int MaxErrorsListed = 1000;

    private const string ClaimSql = """
        update import_jobs set status = 'running', started_at = now(), rows_done = 0
        where id = (
            select id from import_jobs
            where status = 'queued' or (status = 'running' and started_at < now() - interval '15 minutes')
            order by created_at
            limit 1
            for update skip locked)
        returning id, kind, file_name, content, requested_by, requester_role, requester_scope
        """;

    private const string ProgressSql = "update import_jobs set rows_done = @Done, total_rows = @Total where id = @Id";

    private const string FinishSql = """
        update import_jobs
        set status = @Status, total_rows = @Total, rows_done = @Done, created_count = @Created, updated_count = @Updated,
            unchanged_count = @Unchanged, errors = @Errors::jsonb, error_count = @ErrorCount, finished_at = now()
        where id = @Id
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await RunNextAsync(stoppingToken))
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                LogWorkerFailed(ex);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken).ContinueWith(_ => { }, CancellationToken.None);
            }
        }
    }

    /// <summary>Runs one job if one is waiting; false when there was none.</summary>
    internal async Task<bool> RunNextAsync(CancellationToken cancellationToken)
    {
        JobRow? job;
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            job = await connection.QuerySingleOrDefaultAsync<JobRow>(new CommandDefinition(ClaimSql, cancellationToken: cancellationToken));
        }
        if (job is null)
        {
            return false;
        }

        var uploader = new PlatformUser(job.RequestedBy, "", job.RequesterRole, null, job.RequesterScope, null);
        ImportOutcome outcome;
        try
        {
            outcome = job.Kind == "schools"
                ? await schools.RunAsync(job.Content, job.FileName, uploader, cancellationToken)
                : await teachers.RunAsync(job.Content, job.FileName, uploader,
                    (done, total) => SaveProgressAsync(job.Id, done, total, cancellationToken), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not NpgsqlException)
        {
            // An unreadable file (not a spreadsheet, a broken workbook) is the uploader's to fix, not a retry.
            outcome = new ImportOutcome(0, 0, 0, 0, [new RowError(1, "", $"无法读取文件：{ex.Message}")]);
        }

        var failed = outcome.Errors.Count > 0;
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition(FinishSql, new
            {
                job.Id,
                Status = failed ? "failed" : "succeeded",
                Total = outcome.TotalRows,
                Done = failed ? 0 : outcome.TotalRows,
                outcome.Created,
                outcome.Updated,
                outcome.Unchanged,
                Errors = JsonSerializer.Serialize(outcome.Errors.Take(MaxErrorsListed), JsonOptions),
                ErrorCount = outcome.Errors.Count,
            }, cancellationToken: cancellationToken));
        }
        LogJobFinished(job.Id, failed ? "failed" : "succeeded", outcome.TotalRows, outcome.Errors.Count);
        return true;
    }

    private async Task SaveProgressAsync(Guid id, int done, int total, CancellationToken cancellationToken)
    {
        // Its own connection: the import's transaction is not committed yet, and progress must be visible now.
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(ProgressSql, new { Id = id, Done = done, Total = total }, cancellationToken: cancellationToken));
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private sealed class JobRow
    {
        public Guid Id { get; init; }
        public string Kind { get; init; } = "";
        public string FileName { get; init; } = "";
        public byte[] Content { get; init; } = [];
        public Guid RequestedBy { get; init; }
        public string RequesterRole { get; init; } = "";
        public string RequesterScope { get; init; } = "";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import worker could not reach the database; retrying")]
    private partial void LogWorkerFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Import {JobId} {Status}: {Rows} rows, {Errors} errors")]
    private partial void LogJobFinished(Guid jobId, string status, int rows, int errors);
}
