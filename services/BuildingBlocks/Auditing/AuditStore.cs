using Dapper;
using Npgsql;

namespace TrainingPlatform.BuildingBlocks.Auditing;

/// <summary>What an auditor searches by; every part optional.</summary>
public sealed record AuditQuery(string? Actor, string? Target, string? Action, DateTimeOffset? From, DateTimeOffset? To, long? After, int Limit);

/// <summary>All SQL of the audit trail.</summary>
public static class AuditStore
{
    // Any constant works; it only has to be the same for every replica of the service. Distinct from the migration lock.
    // Held only by the sealer (AuditPendingStore.SealBatchAsync), never inside an action's transaction.
    internal const long AppendLockKey = 0x6175_6469_745f_6c6f; // "audit_lo"

    private const string Columns = """
        seq, at, actor_account_id, actor_login, actor_role, actor_organisation_path, action, target_kind, target_id,
        summary, client_address, trace_id, prev_hash, hash
        """;

    /// <summary>Newest first, keyset by seq: <c>After</c> is the last seq of the previous page.</summary>
    public static async Task<IReadOnlyList<AuditRecord>> SearchAsync(NpgsqlDataSource db, AuditQuery query, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<AuditRecord>(new CommandDefinition($"""
            select {Columns}
            from audit_records
            where (@Actor::text is null or actor_login = @Actor or actor_account_id::text = @Actor)
              and (@Target::text is null or target_id = @Target)
              and (@Action::text is null or action = @Action)
              and (@From::timestamptz is null or at >= @From)
              and (@To::timestamptz is null or at < @To)
              and (@After::bigint is null or seq < @After)
            order by seq desc
            limit @Limit
            """, query, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>
    /// Walks the chain in seq order, a page at a time, and stops at the first broken link. Archived records are no
    /// longer here: the walk starts after the last archive, and the first remaining record must follow its last hash.
    /// </summary>
    public static async Task<AuditChainWalker> VerifyAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        const int Page = 1000;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var archived = (await connection.QueryAsync<(long ToSeq, string LastHash)>(new CommandDefinition(
            "select to_seq, last_hash from audit_archives order by to_seq desc limit 1", cancellationToken: cancellationToken))).AsList();
        var walker = archived.Count == 1 ? new AuditChainWalker(archived[0].ToSeq, archived[0].LastHash) : new AuditChainWalker();
        var after = archived.Count == 1 ? archived[0].ToSeq : 0;
        while (true)
        {
            var page = (await connection.QueryAsync<AuditRecord>(new CommandDefinition($"""
                select {Columns} from audit_records where seq > @After order by seq limit @Page
                """, new { After = after, Page }, cancellationToken: cancellationToken))).AsList();
            foreach (var record in page)
            {
                if (!walker.Accept(record))
                {
                    return walker;
                }
            }
            if (page.Count < Page)
            {
                return walker;
            }
            after = page[^1].Seq;
        }
    }

    private const string ArchiveColumns = """
        service, from_seq, to_seq, record_count, last_hash, first_at, last_at, file_name, file_sha256, archived_at
        """;

    /// <summary>Every archive of this service, oldest first.</summary>
    public static async Task<IReadOnlyList<AuditArchive>> ArchivesAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<AuditArchive>(new CommandDefinition(
            $"select {ArchiveColumns} from audit_archives order by from_seq", cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>
    /// The oldest records in seq order, as long as each is older than <paramref name="before"/>: archiving takes a
    /// gapless prefix of the chain, so what stays is still a chain that follows the last archive.
    /// </summary>
    public static async Task<IReadOnlyList<AuditRecord>> ArchivablePrefixAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        DateTimeOffset before, int limit, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<AuditRecord>(new CommandDefinition($"""
            select {Columns} from audit_records
            where seq < coalesce((select min(seq) from audit_records where at >= @Before), 9223372036854775807)
            order by seq
            limit @Limit
            """, new { Before = before, Limit = limit }, transaction, cancellationToken: cancellationToken))).AsList();

    /// <summary>
    /// Records the archive and only then deletes its records, in the caller's transaction: the append-only trigger
    /// lets a delete through only while <c>audit.archiving</c> is on, and <c>set local</c> ends with the transaction.
    /// </summary>
    public static async Task RecordArchiveAndDeleteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AuditArchive archive,
        CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition($"""
            insert into audit_archives ({ArchiveColumns})
            values (@Service, @FromSeq, @ToSeq, @RecordCount, @LastHash, @FirstAt, @LastAt, @FileName, @FileSha256, @ArchivedAt)
            """, archive, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("""
            set local audit.archiving = 'on';
            delete from audit_records where seq between @FromSeq and @ToSeq;
            set local audit.archiving = 'off';
            """, archive, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>Tries to become the one replica archiving right now; the lock ends with the transaction.</summary>
    public static Task<bool> TryLockArchivingAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition("select pg_try_advisory_xact_lock(@ArchiveLockKey)", new { ArchiveLockKey },
            transaction, cancellationToken: cancellationToken));

    // Distinct from the append lock: archiving must not hold up audited writes while it writes its file.
    private const long ArchiveLockKey = 0x6175_6469_745f_6172; // "audit_ar"
}
