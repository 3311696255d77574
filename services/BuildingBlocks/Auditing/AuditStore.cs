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

    /// <summary>Walks the whole chain in seq order, a page at a time, and stops at the first broken link.</summary>
    public static async Task<AuditChainWalker> VerifyAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        const int Page = 1000;
        var walker = new AuditChainWalker();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        long after = 0;
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
}
