using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace TrainingPlatform.BuildingBlocks.Auditing;

/// <summary>
/// All SQL of audit records between the action and the chain: written to <c>audit_pending</c> in the action's
/// transaction (no lock), moved into <c>audit_records</c> by the sealer in batches under the chain's lock.
/// </summary>
public static class AuditPendingStore
{
    /// <summary>The record waits in <c>audit_pending</c>; it exists if and only if the caller's transaction commits.</summary>
    public static Task AddAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AuditRecord draft, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into audit_pending (at, actor_account_id, actor_login, actor_role, actor_organisation_path, action, target_kind,
                                       target_id, summary, client_address, trace_id)
            values (@At, @ActorAccountId, @ActorLogin, @ActorRole, @ActorOrganisationPath, @Action, @TargetKind, @TargetId, @Summary,
                    @ClientAddress, @TraceId)
            """, draft with { At = AuditChain.Truncate(draft.At) }, transaction, cancellationToken: cancellationToken));

    /// <summary>Records committed but not yet chained.</summary>
    public static async Task<long> CountAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("select count(*) from audit_pending",
            cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Chains up to <paramref name="batchSize"/> waiting records, oldest first, in one transaction: the chain's lock,
    /// the last link, the records taken out of <c>audit_pending</c>, sealed one after another, inserted in one
    /// statement, one commit. Replicas' sealers take turns on the lock, and what one took is gone for the next, so each
    /// record is chained exactly once; a failure anywhere rolls back and leaves the records waiting. Returns how many
    /// it chained.
    /// </summary>
    public static async Task<int> SealBatchAsync(NpgsqlDataSource db, int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        // Nothing waiting (the idle poll, every replica, every second): no lock, no transaction.
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select exists (select 1 from audit_pending)",
                cancellationToken: cancellationToken)))
        {
            return 0;
        }
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Lock first, then read: each later statement sees every sealer's batch committed before the lock was ours.
        await connection.ExecuteAsync(new CommandDefinition(
            "set local audit.sealing = 'on'; select pg_advisory_xact_lock(@AppendLockKey)",
            new { AuditStore.AppendLockKey }, transaction, cancellationToken: cancellationToken));
        // No record yet reads as (0, null): the first link follows the genesis hash. Once every record has been
        // archived, the last link is the last archived one.
        var last = await connection.QueryFirstOrDefaultAsync<(long Seq, string? Hash)>(new CommandDefinition("""
            select seq, hash from (
                (select seq, hash from audit_records order by seq desc limit 1)
                union all
                (select to_seq, last_hash from audit_archives order by to_seq desc limit 1)
            ) last_link order by seq desc limit 1
            """, transaction: transaction, cancellationToken: cancellationToken));
        var taken = (await connection.QueryAsync<AuditRecord>(new CommandDefinition("""
            with taken as (
                delete from audit_pending where id in (select id from audit_pending order by id limit @BatchSize)
                returning id, at, actor_account_id, actor_login, actor_role, actor_organisation_path, action, target_kind, target_id,
                          summary, client_address, trace_id
            )
            select id as seq, at, actor_account_id, actor_login, actor_role, actor_organisation_path, action, target_kind, target_id,
                   summary, client_address, trace_id, '' as prev_hash, '' as hash
            from taken order by id
            """, new { BatchSize = batchSize }, transaction, cancellationToken: cancellationToken))).AsList();
        if (taken.Count == 0)
        {
            return 0; // another replica's sealer took them while this one waited for the lock
        }

        // In the order they were written (the pending id); seq carries on from the chain's last link.
        var sealedRecords = new AuditRecord[taken.Count];
        var (lastSeq, lastHash) = last;
        for (var i = 0; i < taken.Count; i++)
        {
            sealedRecords[i] = AuditChain.Seal(taken[i], lastSeq, lastHash);
            (lastSeq, lastHash) = (sealedRecords[i].Seq, sealedRecords[i].Hash);
        }
        await using (var insert = new NpgsqlCommand("""
            insert into audit_records (seq, at, actor_account_id, actor_login, actor_role, actor_organisation_path, action, target_kind,
                                       target_id, summary, client_address, trace_id, prev_hash, hash)
            select * from unnest(@seq, @at, @actor_account_id, @actor_login, @actor_role, @actor_organisation_path, @action, @target_kind,
                                 @target_id, @summary, @client_address, @trace_id, @prev_hash, @hash)
            """, connection, transaction))
        {
            void Column<T>(string name, NpgsqlDbType type, Func<AuditRecord, T> value) =>
                insert.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | type) { Value = sealedRecords.Select(value).ToArray() });
            Column("seq", NpgsqlDbType.Bigint, r => r.Seq);
            Column("at", NpgsqlDbType.TimestampTz, r => r.At);
            Column("actor_account_id", NpgsqlDbType.Uuid, r => r.ActorAccountId);
            Column("actor_login", NpgsqlDbType.Text, r => r.ActorLogin);
            Column("actor_role", NpgsqlDbType.Text, r => r.ActorRole);
            Column("actor_organisation_path", NpgsqlDbType.Text, r => r.ActorOrganisationPath);
            Column("action", NpgsqlDbType.Text, r => r.Action);
            Column("target_kind", NpgsqlDbType.Text, r => r.TargetKind);
            Column("target_id", NpgsqlDbType.Text, r => r.TargetId);
            Column("summary", NpgsqlDbType.Text, r => r.Summary);
            Column("client_address", NpgsqlDbType.Text, r => r.ClientAddress);
            Column("trace_id", NpgsqlDbType.Text, r => r.TraceId);
            Column("prev_hash", NpgsqlDbType.Text, r => r.PrevHash);
            Column("hash", NpgsqlDbType.Text, r => r.Hash);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return sealedRecords.Length;
    }
}
