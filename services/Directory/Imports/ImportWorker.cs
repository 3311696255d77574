using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Persistence;
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
        var job = await ImportStore.ClaimNextAsync(db, cancellationToken);
        if (job is null)
        {
            return false;
        }

        var uploader = new PlatformUser(job.RequestedBy, "", job.RequesterRole, null, job.RequesterScope, null);
        ImportOutcome outcome;
        try
        {
            outcome = job.Kind == ImportKinds.Schools
                ? await schools.RunAsync(job.Content, job.FileName, uploader, cancellationToken)
                : await teachers.RunAsync(job.Content, job.FileName, uploader,
                    (done, total) => ImportStore.SaveProgressAsync(db, job.Id, done, total, cancellationToken), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not NpgsqlException)
        {
            // An unreadable file (not a spreadsheet, a broken workbook) is the uploader's to fix, not a retry.
            outcome = new ImportOutcome(0, 0, 0, 0, [new RowError(1, "", $"无法读取文件：{ex.Message}")]);
        }

        var status = outcome.Errors.Count > 0 ? ImportJobStatuses.Failed : ImportJobStatuses.Succeeded;
        await using (var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken))
        {
            await ImportStore.FinishAsync(unitOfWork, job.Id, status, outcome, MaxErrorsListed, cancellationToken);
            // Recorded as the uploader's: the worker only carries out what they started.
            await AuditTrail.RecordAsync(unitOfWork, job.Requester, DirectoryAudit.ImportFinished, DirectoryAudit.ImportJob, job.Id.ToString(),
                status == ImportJobStatuses.Succeeded
                    ? $"{ImportKinds.Names[job.Kind]}表格「{job.FileName}」导入完成：共 {outcome.TotalRows} 行，新增 {outcome.Created}、更新 {outcome.Updated}、未变 {outcome.Unchanged}"
                    : $"{ImportKinds.Names[job.Kind]}表格「{job.FileName}」导入失败：{outcome.Errors.Count} 处错误，未导入任何行",
                cancellationToken);
            await unitOfWork.CommitAsync(cancellationToken);
        }
        LogJobFinished(job.Id, status, outcome.TotalRows, outcome.Errors.Count);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import worker could not reach the database; retrying")]
    private partial void LogWorkerFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Import {JobId} {Status}: {Rows} rows, {Errors} errors")]
    private partial void LogJobFinished(Guid jobId, string status, int rows, int errors);
}
