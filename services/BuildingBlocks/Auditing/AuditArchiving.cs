using System.ComponentModel;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace TrainingPlatform.BuildingBlocks.Auditing;

/// <summary>One archiving run: which records left the table, for which file, and the hash that the rest follows.</summary>
public sealed record AuditArchive(
    [property: Description("服务名")] string Service,
    [property: Description("归档的第一条记录的序号")] long FromSeq,
    [property: Description("归档的最后一条记录的序号")] long ToSeq,
    [property: Description("归档的记录数")] long RecordCount,
    [property: Description("归档的最后一条记录的哈希；表中剩下的第一条记录的前一哈希须与之相等")] string LastHash,
    [property: Description("归档记录中最早的时间")] DateTimeOffset FirstAt,
    [property: Description("归档记录中最晚的时间")] DateTimeOffset LastAt,
    [property: Description("归档文件名（gzip 压缩的 JSON Lines，每行一条记录）")] string FileName,
    [property: Description("归档文件的 SHA-256（小写十六进制），用于核对文件未被改动")] string FileSha256,
    [property: Description("归档时间")] DateTimeOffset ArchivedAt);

/// <summary>How long records stay in the table, and where archives go (<c>Audit:*</c>).</summary>
public sealed class AuditArchivingOptions
{
    /// <summary>The shortest retention anyone may configure: the records of the last half-year are never archived.</summary>
    public static readonly TimeSpan MinimumRetention = TimeSpan.FromDays(180);

    public TimeSpan Retention { get; set; } = MinimumRetention;

    public TimeSpan Interval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Empty: <c>data/audit-archives</c> under the service's content root.</summary>
    public string? ArchiveFolder { get; set; }

    /// <summary>At most this many records per file; a longer backlog takes several runs.</summary>
    public int MaxRecordsPerRun { get; set; } = 100_000;

    public TimeSpan EffectiveRetention => Retention < MinimumRetention ? MinimumRetention : Retention;
}

/// <summary>
/// Moves records past the retention period out of <c>audit_records</c>, one gzip'd JSON-lines file per run and
/// service, under a transaction-scoped advisory lock so that one replica archives at a time. The file is written and
/// hashed first; the archive (range, last hash, file name and SHA-256) is recorded, the run itself audited, and only
/// then are the rows deleted, all in one transaction: if anything fails, every row stays and the file is removed.
/// </summary>
public sealed partial class AuditArchiver(
    string serviceName,
    NpgsqlDataSource db,
    AuditArchivingOptions options,
    string archiveFolder,
    TimeProvider clock,
    ILogger<AuditArchiver> logger) : BackgroundService
{
    public const string ArchivedAction = "audit-records-archived";

    /// <summary>Who the archive record names: the platform itself, not a person.</summary>
    public static readonly AuditActor SystemActor = new(Guid.Empty, "system", "system", "", null, null);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string ArchiveFolder => archiveFolder;

    public TimeSpan Retention => options.EffectiveRetention;

    /// <summary>One pass: archives the records past retention (up to the per-run maximum); null when there were none or another replica is at it.</summary>
    public async Task<AuditArchive?> RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await AuditStore.TryLockArchivingAsync(connection, transaction, cancellationToken))
        {
            return null;
        }
        var now = clock.GetUtcNow();
        var records = await AuditStore.ArchivablePrefixAsync(connection, transaction, now - options.EffectiveRetention, options.MaxRecordsPerRun,
            cancellationToken);
        if (records.Count == 0)
        {
            return null;
        }
        Directory.CreateDirectory(archiveFolder);
        var fileName = $"{serviceName}-audit-{records[0].Seq:D12}-{records[^1].Seq:D12}.jsonl.gz";
        var path = Path.Combine(archiveFolder, fileName);
        var committed = false;
        try
        {
            var sha256 = await WriteAsync(path, records, cancellationToken);
            var archive = new AuditArchive(serviceName, records[0].Seq, records[^1].Seq, records.Count, records[^1].Hash, records[0].At, records[^1].At,
                fileName, sha256, now);
            await AuditTrail.RecordAsync(connection, transaction, SystemActor, ArchivedAction, "audit-archive", fileName,
                $"归档第 {archive.FromSeq} 至第 {archive.ToSeq} 条审计记录（共 {archive.RecordCount} 条，{archive.FirstAt:yyyy-MM-dd} 至 {archive.LastAt:yyyy-MM-dd}）到文件 {fileName}，SHA-256 {sha256}",
                cancellationToken);
            await AuditStore.RecordArchiveAndDeleteAsync(connection, transaction, archive, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            committed = true;
            LogArchived(archive.FromSeq, archive.ToSeq, path);
            return archive;
        }
        finally
        {
            if (!committed)
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>Writes the records as gzip'd JSON lines (every field, both hashes) and returns the file's SHA-256 in lower-case hex.</summary>
    private static async Task<string> WriteAsync(string path, IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        var partial = path + ".partial";
        await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await using (var gzip = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true))
            {
                foreach (var record in records)
                {
                    await JsonSerializer.SerializeAsync(gzip, record, Json, cancellationToken);
                    gzip.WriteByte((byte)'\n');
                }
            }
            await file.FlushAsync(cancellationToken);
            file.Flush(flushToDisk: true);
        }
        File.Move(partial, path, overwrite: true);
        await using var written = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(written, cancellationToken));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    // A backlog (the first run on an old trail) goes a file at a time until nothing is left.
                    while (await RunOnceAsync(stoppingToken) is not null)
                    {
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or IOException or UnauthorizedAccessException or TimeoutException)
                {
                    LogArchivingFailed(ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Archived audit records {FromSeq}..{ToSeq} to {Path}")]
    private partial void LogArchived(long fromSeq, long toSeq, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit archiving failed; the records stay and the next run tries again")]
    private partial void LogArchivingFailed(Exception ex);
}

public static class AuditArchivingSetup
{
    /// <summary>The daily archiving of this service's audit records past retention (<c>Audit:Retention</c>, at least 180 days).</summary>
    public static TBuilder AddAuditArchiving<TBuilder>(this TBuilder builder, string serviceName) where TBuilder : IHostApplicationBuilder
    {
        var options = new AuditArchivingOptions();
        builder.Configuration.GetSection("Audit").Bind(options);
        var folder = string.IsNullOrWhiteSpace(options.ArchiveFolder)
            ? Path.Combine(builder.Environment.ContentRootPath, "data", "audit-archives")
            : Path.GetFullPath(options.ArchiveFolder, builder.Environment.ContentRootPath);
        builder.Services.AddSingleton(sp => new AuditArchiver(serviceName, sp.GetRequiredService<NpgsqlDataSource>(), options, folder,
            sp.GetService<TimeProvider>() ?? TimeProvider.System, sp.GetRequiredService<ILogger<AuditArchiver>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AuditArchiver>());
        return builder;
    }
}
