using System.Text.Json;
using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.Services.Directory.Imports;

/// <summary>
/// The SQL of import jobs: queued by the upload, claimed and finished by <see cref="ImportWorker"/>, read by the
/// uploader. (The rows a job writes are <see cref="TeacherImport"/>'s and <see cref="SchoolImport"/>'s.)
/// </summary>
public static class ImportStore
{
    private const string InsertJobSql = """
        insert into import_jobs (id, kind, file_name, content, status, requested_by, requester_role, requester_scope, requester_login,
                                 requester_client_address, requester_trace_id)
        values (@Id, @Kind, @FileName, @Content, 'queued', @RequestedBy, @Role, @Scope, @Login, @ClientAddress, @TraceId)
        """;

    private const string FindJobSql = """
        select id, file_name, status, total_rows, rows_done, created_count as created, updated_count as updated,
               unchanged_count as unchanged, errors::text as errors_json, error_count, created_at, finished_at, requested_by
        from import_jobs where id = @Id
        """;

    private const string ClaimSql = """
        update import_jobs set status = 'running', started_at = now(), rows_done = 0
        where id = (
            select id from import_jobs
            where status = 'queued' or (status = 'running' and started_at < now() - interval '15 minutes')
            order by created_at
            limit 1
            for update skip locked)
        returning id, kind, file_name, content, requested_by, requester_role, requester_scope, requester_login, requester_client_address,
                  requester_trace_id
        """;

    private const string ProgressSql = "update import_jobs set rows_done = @Done, total_rows = @Total where id = @Id";

    private const string FinishSql = """
        update import_jobs
        set status = @Status, total_rows = @Total, rows_done = @Done, created_count = @Created, updated_count = @Updated,
            unchanged_count = @Unchanged, errors = @Errors::jsonb, error_count = @ErrorCount, finished_at = now()
        where id = @Id
        """;

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The job keeps the uploader's scope (the worker imports within it) and who they are (the worker's audit record names them).</summary>
    public static Task QueueAsync(UnitOfWork unitOfWork, Guid id, string kind, string fileName, byte[] content, PlatformUser uploader,
        AuditActor actor, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition(InsertJobSql, new
        {
            Id = id,
            Kind = kind,
            FileName = fileName,
            Content = content,
            RequestedBy = uploader.AccountId,
            Role = uploader.Role,
            Scope = uploader.OrganisationPath,
            actor.Login,
            actor.ClientAddress,
            actor.TraceId,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static async Task<ImportJobView?> FindAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ImportJobView>(new CommandDefinition(FindJobSql, new { Id = id },
            cancellationToken: cancellationToken));
    }

    /// <summary>The oldest waiting job (or one whose worker died mid-run), now running here; null when there is none.</summary>
    public static async Task<ClaimedJob?> ClaimNextAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ClaimedJob>(new CommandDefinition(ClaimSql, cancellationToken: cancellationToken));
    }

    /// <summary>Its own connection: the import's transaction is not committed yet, and progress must be visible now.</summary>
    public static async Task SaveProgressAsync(NpgsqlDataSource db, Guid id, int done, int total, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(ProgressSql, new { Id = id, Done = done, Total = total }, cancellationToken: cancellationToken));
    }

    /// <summary>Records the outcome; at most <paramref name="maxErrorsListed"/> errors are kept, all are counted.</summary>
    public static async Task FinishAsync(UnitOfWork unitOfWork, Guid id, string status, ImportOutcome outcome, int maxErrorsListed,
        CancellationToken cancellationToken)
    {
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(FinishSql, new
        {
            Id = id,
            Status = status,
            Total = outcome.TotalRows,
            Done = status == ImportJobStatuses.Failed ? 0 : outcome.TotalRows,
            outcome.Created,
            outcome.Updated,
            outcome.Unchanged,
            Errors = JsonSerializer.Serialize(outcome.Errors.Take(maxErrorsListed), JsonOptions),
            ErrorCount = outcome.Errors.Count,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
    }

    /// <summary>The row errors as stored by <see cref="FinishAsync"/>.</summary>
    public static IReadOnlyList<RowError> ReadErrors(string json) => JsonSerializer.Deserialize<List<RowError>>(json, JsonOptions) ?? [];
}

public sealed class ClaimedJob
{
    public Guid Id { get; init; }
    public string Kind { get; init; } = "";
    public string FileName { get; init; } = "";
    public byte[] Content { get; init; } = [];
    public Guid RequestedBy { get; init; }
    public string RequesterRole { get; init; } = "";
    public string RequesterScope { get; init; } = "";
    public string? RequesterLogin { get; init; }
    public string? RequesterClientAddress { get; init; }
    public string? RequesterTraceId { get; init; }

    /// <summary>The uploader, as the upload's audit record named them (a job queued before they were kept has no login).</summary>
    public AuditActor Requester => new(RequestedBy, RequesterLogin ?? "", RequesterRole, RequesterScope, RequesterClientAddress, RequesterTraceId);
}
