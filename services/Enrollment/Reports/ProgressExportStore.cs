using System.Runtime.CompilerServices;
using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;

namespace TrainingPlatform.Services.Enrollment.Reports;

/// <summary>The states a background export goes through.</summary>
public static class ProgressExportStatuses
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Queued] = "排队中", [Running] = "进行中", [Succeeded] = "已完成", [Failed] = "失败",
    };
}

/// <summary>A background export as stored.</summary>
public sealed record ProgressExportRow
{
    public Guid Id { get; init; }
    public string RequestedBy { get; init; } = "";
    public string ScopePath { get; init; } = "";
    public string? Organisation { get; init; }
    public Guid ProgramYearId { get; init; }
    public string YearCode { get; init; } = "";
    public string? Filter { get; init; }
    public string Status { get; init; } = "";
    public long Total { get; init; }
    public long Done { get; init; }
    public int Attempt { get; init; }
    public long? Bytes { get; init; }
    public string? Error { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
}

/// <summary>What is kept of an export deleted after its retention: who may be told so, and when.</summary>
public sealed record ProgressExportTombstone
{
    public Guid Id { get; init; }
    public string YearCode { get; init; } = "";
    public string ScopePath { get; init; } = "";
    public DateTimeOffset ClearedAt { get; init; }
}

/// <summary>
/// Background exports of the progress sheet (<c>progress_exports</c>) and their files, in chunks
/// (<c>progress_export_chunks</c>). A job is worked by one replica at a time: the claim takes it with SKIP LOCKED and
/// numbers the attempt; every later write of the worker names its attempt and does nothing once another attempt has
/// claimed the job (its own replica stalled past the lease), so a stalled worker cannot overwrite a newer one.
/// </summary>
public static class ProgressExportStore
{
    /// <summary>Bytes a chunk holds: small enough to read and send one at a time, large enough to be few.</summary>
    public const int ChunkSize = 1024 * 1024;

    private const string Columns = """
        id, requested_by, scope_path, organisation, program_year_id, year_code, filter, status, total, done, attempt, bytes, error,
        created_at, started_at, finished_at
        """;

    public static Task QueueAsync(UnitOfWork unitOfWork, ProgressExportRow job, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into progress_exports (id, requested_by, scope_path, organisation, program_year_id, year_code, filter, status, total, created_at)
            values (@Id, @RequestedBy, @ScopePath, @Organisation, @ProgramYearId, @YearCode, @Filter, 'queued', @Total, @CreatedAt)
            """, job, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task<ProgressExportRow?> FindAsync(NpgsqlConnection connection, Guid id, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<ProgressExportRow>(new CommandDefinition(
            $"select {Columns} from progress_exports where id = @Id", new { Id = id }, cancellationToken: cancellationToken));

    /// <summary>
    /// Takes the oldest queued job, or a running one whose worker has not been heard of for <paramref name="lease"/>
    /// (its replica died), as a new attempt; the chunks of an earlier attempt are dropped. Null when there is none.
    /// </summary>
    public static async Task<ProgressExportRow?> ClaimAsync(NpgsqlDataSource db, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var job = await unitOfWork.Connection.QuerySingleOrDefaultAsync<ProgressExportRow>(new CommandDefinition($"""
            update progress_exports
            set status = 'running', attempt = attempt + 1, done = 0, heartbeat_at = now(), started_at = now(), error = null
            where id = (select id from progress_exports
                        where status = 'queued' or (status = 'running' and heartbeat_at < now() - @Lease)
                        order by created_at limit 1 for update skip locked)
            returning {Columns}
            """, new { Lease = lease }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (job is not null)
        {
            await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
                "delete from progress_export_chunks where export_id = @Id and attempt < @Attempt", new { job.Id, job.Attempt },
                unitOfWork.Transaction, cancellationToken: cancellationToken));
        }
        await unitOfWork.CommitAsync(cancellationToken);
        return job;
    }

    /// <summary>Records the rows written so far (and that the worker lives); false when another attempt has the job.</summary>
    public static async Task<bool> ProgressAsync(NpgsqlConnection connection, Guid id, int attempt, long done, long? total, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition("""
            update progress_exports set done = @Done, total = coalesce(@Total, greatest(total, @Done)), heartbeat_at = now()
            where id = @Id and attempt = @Attempt and status = 'running'
            """, new { Id = id, Attempt = attempt, Done = done, Total = total }, cancellationToken: cancellationToken)) == 1;

    /// <summary>
    /// Stores a chunk of the attempt's file; false (and nothing stored) when another attempt has the job. The job's row is
    /// share-locked while the chunk goes in, so a claim committing meanwhile is waited for and then seen.
    /// </summary>
    public static async Task<bool> AppendChunkAsync(NpgsqlConnection connection, Guid id, int attempt, int seq, ReadOnlyMemory<byte> data,
        CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into progress_export_chunks (export_id, attempt, seq, data)
            select id, attempt, @Seq, @Data from progress_exports
            where id = @Id and attempt = @Attempt and status = 'running'
            for share
            """, new { Id = id, Attempt = attempt, Seq = seq, Data = data.ToArray() }, cancellationToken: cancellationToken)) == 1;

    /// <summary>Marks the attempt's file finished; false (and nothing changed) when another attempt has the job.</summary>
    public static async Task<bool> FinishAsync(NpgsqlConnection connection, Guid id, int attempt, long rows, long bytes, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition("""
            update progress_exports set status = 'succeeded', total = @Rows, done = @Rows, bytes = @Bytes, finished_at = now(), heartbeat_at = now()
            where id = @Id and attempt = @Attempt and status = 'running'
            """, new { Id = id, Attempt = attempt, Rows = rows, Bytes = bytes }, cancellationToken: cancellationToken)) == 1;

    public static Task FailAsync(NpgsqlConnection connection, Guid id, int attempt, string error, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            update progress_exports set status = 'failed', error = @Error, finished_at = now()
            where id = @Id and attempt = @Attempt and status = 'running';
            delete from progress_export_chunks where export_id = @Id and attempt = @Attempt;
            """, new { Id = id, Attempt = attempt, Error = error }, cancellationToken: cancellationToken));

    /// <summary>
    /// Deletes up to <paramref name="batch"/> of the exports finished (succeeded or failed) longer than
    /// <paramref name="retention"/> ago, their chunks with them (the foreign key cascades), and leaves a tombstone for
    /// each; returns how many went. Rows another replica's sweep holds are skipped, not waited for, so replicas sweeping
    /// at once share the work; one batch is one short transaction however large the backlog.
    /// </summary>
    public static Task<int> DeleteFinishedAsync(NpgsqlDataSource db, TimeSpan retention, int batch, CancellationToken cancellationToken) =>
        ExecuteAsync(db, """
            with gone as (
                delete from progress_exports
                where id in (select id from progress_exports
                             where status in ('succeeded', 'failed') and finished_at < now() - @Retention
                             order by finished_at limit @Batch for update skip locked)
                returning id, year_code, scope_path)
            insert into progress_export_tombstones (id, year_code, scope_path, cleared_at)
            select id, year_code, scope_path, now() from gone
            on conflict (id) do nothing
            """, new { Retention = retention, Batch = batch }, cancellationToken);

    /// <summary>Deletes up to <paramref name="batch"/> tombstones older than <paramref name="keep"/>; returns how many went.</summary>
    public static Task<int> ForgetTombstonesAsync(NpgsqlDataSource db, TimeSpan keep, int batch, CancellationToken cancellationToken) =>
        ExecuteAsync(db, """
            delete from progress_export_tombstones
            where id in (select id from progress_export_tombstones where cleared_at < now() - @Keep
                         order by cleared_at limit @Batch for update skip locked)
            """, new { Keep = keep, Batch = batch }, cancellationToken);

    /// <summary>The tombstone of an export deleted after its retention; null when there is none.</summary>
    public static Task<ProgressExportTombstone?> FindTombstoneAsync(NpgsqlConnection connection, Guid id, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<ProgressExportTombstone>(new CommandDefinition(
            "select id, year_code, scope_path, cleared_at from progress_export_tombstones where id = @Id", new { Id = id },
            cancellationToken: cancellationToken));

    private static async Task<int> ExecuteAsync(NpgsqlDataSource db, string sql, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
    }

    /// <summary>The finished file's chunks in order, read one at a time.</summary>
    public static async IAsyncEnumerable<byte[]> ChunksAsync(NpgsqlConnection connection, Guid id, int attempt,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var chunk in connection.QueryUnbufferedAsync<byte[]>(
                           "select data from progress_export_chunks where export_id = @Id and attempt = @Attempt order by seq",
                           new { Id = id, Attempt = attempt }).WithCancellation(cancellationToken))
        {
            yield return chunk;
        }
    }
}

/// <summary>
/// The file of a background export as the sheet writer sees it: a write-only stream that stores each
/// <see cref="ProgressExportStore.ChunkSize"/> bytes as a chunk row, asynchronously; a flush stores what is left.
/// </summary>
internal sealed class ProgressExportChunkStream(NpgsqlConnection connection, Guid id, int attempt) : Stream
{
    private readonly byte[] _buffer = new byte[ProgressExportStore.ChunkSize];
    private int _length;
    private int _seq;

    public long Bytes { get; private set; }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (buffer.Length > 0)
        {
            var take = Math.Min(buffer.Length, _buffer.Length - _length);
            buffer[..take].CopyTo(_buffer.AsMemory(_length));
            _length += take;
            Bytes += take;
            buffer = buffer[take..];
            if (_length == _buffer.Length)
            {
                await FlushAsync(cancellationToken);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_length > 0)
        {
            if (!await ProgressExportStore.AppendChunkAsync(connection, id, attempt, _seq++, _buffer.AsMemory(0, _length), cancellationToken))
            {
                throw new ProgressExportTakenOverException();
            }
            _length = 0;
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("The export's file is written asynchronously only.");
    public override void Flush() => throw new NotSupportedException("The export's file is written asynchronously only.");
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>Another attempt has claimed the job (this worker stalled past the lease): the attempt stops, writing nothing more.</summary>
internal sealed class ProgressExportTakenOverException : Exception;
