using System.ComponentModel;
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

    public async Task<SigningKeySet> JwksAsync(CancellationToken cancellationToken)
    {
        var keys = await AllAsync(cancellationToken);
        return new SigningKeySet([.. keys.Select(k =>
        {
            var p = k.Rsa.ExportParameters(false);
            return new SigningKey("RSA", "sig", SecurityAlgorithms.RsaSha256, k.KeyId, Base64UrlEncoder.Encode(p.Modulus), Base64UrlEncoder.Encode(p.Exponent));
        })]);
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

/// <summary>A JSON Web Key Set (RFC 7517) of the public halves of the signing keys.</summary>
public sealed record SigningKeySet([property: Description("有效的签名公钥；最新的一把签发，全部可用于校验")] IReadOnlyList<SigningKey> Keys);

/// <summary>One RSA public key as a JWK; member names fixed by RFC 7517/7518.</summary>
public sealed record SigningKey(
    [property: Description("密钥类型，恒为 RSA")] string Kty,
    [property: Description("用途，恒为 sig（签名）")] string Use,
    [property: Description("算法，恒为 RS256")] string Alg,
    [property: Description("密钥编号，与令牌头部的 kid 对应")] string Kid,
    [property: Description("RSA 模数（base64url）")] string N,
    [property: Description("RSA 公钥指数（base64url）")] string E);
