using Dapper;
using Npgsql;

namespace TrainingPlatform.BuildingBlocks.Auditing;

/// <summary>What an auditor searches by; every part optional.</summary>
public sealed record AuditQuery(string? Actor, string? Target, string? Action, DateTimeOffset? From, DateTimeOffset? To, long? After, int Limit);

/// <summary>All SQL of the audit trail.</summary>
public static class AuditStore
{
    // Any constant works; it only has to be the same for every replica of the service. Distinct from the migration lock.
    private const long AppendLockKey = 0x6175_6469_745f_6c6f; // "audit_lo"

    private const string Columns = """
        seq, at, actor_account_id, actor_login, actor_role, actor_organisation_path, action, target_kind, target_id,
        summary, client_address, trace_id, prev_hash, hash
        """;

    /// <summary>
    /// Appends <paramref name="draft"/> as the next link, inside the caller's transaction. The transaction-scoped
    /// advisory lock makes appends one at a time across replicas until the caller commits or rolls back, so no two
    /// records claim the same seq and a rolled-back append leaves no gap.
    /// </summary>
    public static async Task<AuditRecord> AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AuditRecord draft,
        CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(@AppendLockKey)", new { AppendLockKey },
            transaction, cancellationToken: cancellationToken));
        // No record yet reads as (0, null): the first link follows the genesis hash.
        var last = await connection.QueryFirstOrDefaultAsync<(long Seq, string? Hash)>(new CommandDefinition(
            "select seq, hash from audit_records order by seq desc limit 1", transaction: transaction, cancellationToken: cancellationToken));
        var record = AuditChain.Seal(draft, last.Seq, last.Hash);
        await connection.ExecuteAsync(new CommandDefinition($"""
            insert into audit_records ({Columns})
            values (@Seq, @At, @ActorAccountId, @ActorLogin, @ActorRole, @ActorOrganisationPath, @Action, @TargetKind, @TargetId,
                    @Summary, @ClientAddress, @TraceId, @PrevHash, @Hash)
            """, record, transaction, cancellationToken: cancellationToken));
        return record;
    }

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
