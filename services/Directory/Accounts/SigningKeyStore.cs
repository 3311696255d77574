using System.ComponentModel;
using System.Security.Cryptography;
using Dapper;
using Npgsql;

namespace TrainingPlatform.Services.Directory.Accounts;

/// <summary>
/// The SQL of the signing keys. Every change happens under one transaction-scoped advisory lock, so Directory's
/// replicas, starting together or rotating on the same schedule, never make two current or two next keys nor rotate
/// twice for one due date.
/// </summary>
public static class SigningKeyStore
{
    private const long KeysLockKey = 0x6b65_7973; // "keys"

    private const string LockSql = "select pg_advisory_xact_lock(@KeysLockKey)";

    private const string SelectSql = """
        select key_id, private_key, state, created_at, activated_at, retired_at, expires_at
        from signing_keys
        where state <> 'retired' or expires_at > @Now
        order by case state when 'next' then 0 when 'current' then 1 else 2 end, created_at desc
        """;

    private const string InsertSql = """
        insert into signing_keys (key_id, private_key, state, created_at, activated_at)
        values (@KeyId, @PrivateKey, @State, @Now, case when @State = 'current' then @Now end)
        """;

    private const string RetireCurrentSql = """
        update signing_keys set state = 'retired', retired_at = @Now, expires_at = @ExpiresAt where state = 'current'
        """;

    private const string PromoteNextSql = "update signing_keys set state = 'current', activated_at = @Now where state = 'next'";

    private const string DropExpiredSql = "delete from signing_keys where state = 'retired' and expires_at <= @Now";

    /// <summary>The keys still published: next, current, and retired ones not yet expired; next first.</summary>
    public static async Task<IReadOnlyList<SigningKeyRow>> LoadAsync(NpgsqlDataSource db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<SigningKeyRow>(new CommandDefinition(SelectSql, new { Now = now },
            cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Makes the current and the next key where either is missing (the first start); returns the published keys.</summary>
    public static Task<IReadOnlyList<SigningKeyRow>> EnsureAsync(NpgsqlDataSource db, DateTimeOffset now, CancellationToken cancellationToken) =>
        UnderLockAsync(db, now, async (connection, transaction, keys) =>
        {
            await CompleteAsync(connection, transaction, keys, now, cancellationToken);
            return false;
        }, cancellationToken);

    /// <summary>
    /// The next key becomes current, a new next key is made, the previous current one is retired and published until
    /// <paramref name="retiredKeyExpiresAfter"/> has passed; expired keys are dropped. With <paramref name="onlyIfActiveLongerThan"/>,
    /// only when the current key has signed that long already — checked under the lock, so when two replicas find
    /// the same key due, one rotates and the other finds the fresh key and leaves it. <paramref name="whenRotated"/>
    /// (the audit record) runs in the rotation's transaction, only when it rotates.
    /// </summary>
    public static async Task<(bool Rotated, IReadOnlyList<SigningKeyRow> Keys)> RotateAsync(NpgsqlDataSource db, DateTimeOffset now,
        TimeSpan retiredKeyExpiresAfter, TimeSpan? onlyIfActiveLongerThan, Func<NpgsqlConnection, NpgsqlTransaction, Task> whenRotated,
        CancellationToken cancellationToken)
    {
        var rotated = false;
        var keys = await UnderLockAsync(db, now, async (connection, transaction, keys) =>
        {
            await CompleteAsync(connection, transaction, keys, now, cancellationToken);
            var current = keys.FirstOrDefault(k => k.State == SigningKeyStates.Current);
            if (onlyIfActiveLongerThan is { } due && current?.ActivatedAt is { } since && now - since < due)
            {
                return false;
            }
            await connection.ExecuteAsync(new CommandDefinition(RetireCurrentSql, new { Now = now, ExpiresAt = now + retiredKeyExpiresAfter },
                transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(PromoteNextSql, new { Now = now }, transaction, cancellationToken: cancellationToken));
            await InsertAsync(connection, transaction, SigningKeyStates.Next, now, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(DropExpiredSql, new { Now = now }, transaction, cancellationToken: cancellationToken));
            await whenRotated(connection, transaction);
            return rotated = true;
        }, cancellationToken);
        return (rotated, keys);
    }

    private static async Task<IReadOnlyList<SigningKeyRow>> UnderLockAsync(NpgsqlDataSource db, DateTimeOffset now,
        Func<NpgsqlConnection, NpgsqlTransaction, IReadOnlyList<SigningKeyRow>, Task<bool>> change, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(LockSql, new { KeysLockKey }, transaction, cancellationToken: cancellationToken));
        var keys = await SelectAsync(connection, transaction, now, cancellationToken);
        await change(connection, transaction, keys);
        keys = await SelectAsync(connection, transaction, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return keys;
    }

    private static async Task CompleteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<SigningKeyRow> keys,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var state in new[] { SigningKeyStates.Current, SigningKeyStates.Next })
        {
            if (keys.All(k => k.State != state))
            {
                await InsertAsync(connection, transaction, state, now, cancellationToken);
            }
        }
    }

    private static async Task<IReadOnlyList<SigningKeyRow>> SelectAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        DateTimeOffset now, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<SigningKeyRow>(new CommandDefinition(SelectSql, new { Now = now }, transaction,
            cancellationToken: cancellationToken))).AsList();

    private static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string state, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        using var rsa = RSA.Create(2048);
        await connection.ExecuteAsync(new CommandDefinition(InsertSql,
            new { KeyId = Guid.NewGuid().ToString("N"), PrivateKey = rsa.ExportPkcs8PrivateKeyPem(), State = state, Now = now },
            transaction, cancellationToken: cancellationToken));
    }
}

public sealed record SigningKeyRow
{
    public string KeyId { get; init; } = "";
    public string PrivateKey { get; init; } = "";
    public string State { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ActivatedAt { get; init; }
    public DateTimeOffset? RetiredAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>Where a signing key is in its life.</summary>
public static class SigningKeyStates
{
    public const string Next = "next";
    public const string Current = "current";
    public const string Retired = "retired";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Next] = "下一把（已公布，轮换后开始签发）",
        [Current] = "当前（签发令牌）",
        [Retired] = "已退役（仅用于校验此前签发的令牌，到期后移除）",
    };
}
