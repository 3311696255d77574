using System.Security.Cryptography;
using Dapper;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace TrainingPlatform.Services.Directory.Accounts;

/// <summary>
/// The RSA keys that sign tokens. The first replica to start generates one (under a transaction-scoped advisory
/// lock, so replicas starting together agree on one key); every replica loads the same keys from the database.
/// </summary>
public sealed class SigningKeys(NpgsqlDataSource db)
{
    private const long GenerationLockKey = 0x6b65_7973; // "keys"

    private const string LoadSql = "select key_id, private_key, created_at from signing_keys where retired_at is null order by created_at desc";

    private volatile IReadOnlyList<RsaSecurityKey>? _keys;

    /// <summary>The newest key signs; all active keys validate.</summary>
    public async Task<RsaSecurityKey> CurrentAsync(CancellationToken cancellationToken) => (await AllAsync(cancellationToken))[0];

    public async Task<IReadOnlyList<RsaSecurityKey>> AllAsync(CancellationToken cancellationToken) =>
        _keys ??= await LoadOrCreateAsync(cancellationToken);

    /// <summary>For token validation inside Directory itself (it does not fetch its own JWKS over HTTP).</summary>
    public IReadOnlyList<RsaSecurityKey> Loaded => _keys ?? AllAsync(CancellationToken.None).GetAwaiter().GetResult();

    public async Task<object> JwksAsync(CancellationToken cancellationToken)
    {
        var keys = await AllAsync(cancellationToken);
        return new
        {
            keys = keys.Select(k =>
            {
                var p = k.Rsa.ExportParameters(false);
                return new
                {
                    kty = "RSA",
                    use = "sig",
                    alg = SecurityAlgorithms.RsaSha256,
                    kid = k.KeyId,
                    n = Base64UrlEncoder.Encode(p.Modulus),
                    e = Base64UrlEncoder.Encode(p.Exponent),
                };
            }).ToArray(),
        };
    }

    private async Task<IReadOnlyList<RsaSecurityKey>> LoadOrCreateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(@GenerationLockKey)",
            new { GenerationLockKey }, transaction, cancellationToken: cancellationToken));

        var rows = (await connection.QueryAsync<KeyRow>(new CommandDefinition(LoadSql, transaction: transaction,
            cancellationToken: cancellationToken))).AsList();
        if (rows.Count == 0)
        {
            using var rsa = RSA.Create(2048);
            var row = new KeyRow { KeyId = Guid.NewGuid().ToString("N"), PrivateKey = rsa.ExportPkcs8PrivateKeyPem() };
            await connection.ExecuteAsync(new CommandDefinition(
                "insert into signing_keys (key_id, private_key) values (@KeyId, @PrivateKey)", row, transaction,
                cancellationToken: cancellationToken));
            rows.Add(row);
        }
        await transaction.CommitAsync(cancellationToken);

        return rows.Select(r =>
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(r.PrivateKey);
            return new RsaSecurityKey(rsa) { KeyId = r.KeyId };
        }).ToList();
    }

    private sealed class KeyRow
    {
        public string KeyId { get; init; } = "";
        public string PrivateKey { get; init; } = "";
        public DateTimeOffset CreatedAt { get; init; }
    }
}
