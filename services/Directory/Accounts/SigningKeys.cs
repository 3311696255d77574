using System.Collections.Concurrent;
using System.ComponentModel;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace TrainingPlatform.Services.Directory.Accounts;

/// <summary>
/// The RSA keys that sign tokens, as this replica last read them from the database (<see cref="SigningKeyStore"/>):
/// the current key signs; the next, current and unexpired retired keys validate and are published. Reread every
/// <see cref="KeyRotationOptions.ReloadInterval"/>, right after this replica rotates, and when a token names a key
/// this replica does not know, so a rotation by another replica is picked up without a restart.
/// </summary>
public sealed partial class SigningKeys(NpgsqlDataSource db, IOptions<KeyRotationOptions> options, TimeProvider clock, ILogger<SigningKeys> logger)
{
    /// <summary>Unknown key ids reread the database at most this often, so forged ids cannot turn into a query each.</summary>
    private static readonly TimeSpan UnknownKeyReloadSpacing = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _reloading = new(1, 1);
    private readonly ConcurrentDictionary<string, RsaSecurityKey> _parsed = new();
    private volatile Snapshot? _snapshot;

    /// <summary>The key that signs now.</summary>
    public async Task<RsaSecurityKey> CurrentAsync(CancellationToken cancellationToken) => (await FreshAsync(cancellationToken)).Current;

    public async Task<IReadOnlyList<RsaSecurityKey>> AllAsync(CancellationToken cancellationToken) => (await FreshAsync(cancellationToken)).All;

    /// <summary>
    /// For token validation inside Directory itself (it does not fetch its own JWKS over HTTP): the loaded keys, reread
    /// first when the token names a key not among them.
    /// </summary>
    public IEnumerable<SecurityKey> Resolve(string? kid)
    {
        var snapshot = _snapshot ?? ReloadAsync(CancellationToken.None).GetAwaiter().GetResult();
        if (kid is not null && snapshot.All.All(k => k.KeyId != kid) && clock.GetUtcNow() - snapshot.LoadedAt >= UnknownKeyReloadSpacing)
        {
            snapshot = ReloadAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        else if (IsStale(snapshot))
        {
            _ = Task.Run(() => FreshAsync(CancellationToken.None));
        }
        return snapshot.All;
    }

    public async Task<SigningKeySet> JwksAsync(CancellationToken cancellationToken)
    {
        var keys = await AllAsync(cancellationToken);
        return new SigningKeySet([.. keys.Select(k =>
        {
            var p = k.Rsa.ExportParameters(false);
            return new SigningKey("RSA", "sig", SecurityAlgorithms.RsaSha256, k.KeyId, Base64UrlEncoder.Encode(p.Modulus), Base64UrlEncoder.Encode(p.Exponent));
        })]);
    }

    /// <summary>Rereads the keys now (after this replica rotated, or when a key is unknown).</summary>
    public async Task<Snapshot> ReloadAsync(CancellationToken cancellationToken)
    {
        var asked = clock.GetUtcNow();
        await _reloading.WaitAsync(cancellationToken);
        try
        {
            // Someone else reread after this caller asked (so after a rotation it just made): as fresh as it needs.
            if (_snapshot is { } other && other.LoadedAt >= asked)
            {
                return other;
            }
            var now = clock.GetUtcNow();
            var rows = _snapshot is null
                ? await SigningKeyStore.EnsureAsync(db, now, cancellationToken)
                : await SigningKeyStore.LoadAsync(db, now, cancellationToken);
            if (rows.All(r => r.State != SigningKeyStates.Current))
            {
                rows = await SigningKeyStore.EnsureAsync(db, now, cancellationToken);
            }
            return _snapshot = Take(rows, now);
        }
        finally
        {
            _reloading.Release();
        }
    }

    private async Task<Snapshot> FreshAsync(CancellationToken cancellationToken)
    {
        var snapshot = _snapshot;
        if (snapshot is not null && !IsStale(snapshot))
        {
            return snapshot;
        }
        try
        {
            return await ReloadAsync(cancellationToken);
        }
        catch (Exception e) when (snapshot is not null && e is NpgsqlException or TimeoutException)
        {
            // Keys a minute old still sign and validate correctly; an outage of the database need not stop sign-in's tokens.
            LogReloadFailed(e);
            return snapshot;
        }
    }

    private bool IsStale(Snapshot snapshot) => clock.GetUtcNow() - snapshot.LoadedAt >= options.Value.ReloadInterval;

    private Snapshot Take(IReadOnlyList<SigningKeyRow> rows, DateTimeOffset now)
    {
        var all = rows.Select(r => _parsed.GetOrAdd(r.KeyId, _ =>
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(r.PrivateKey);
            return new RsaSecurityKey(rsa) { KeyId = r.KeyId };
        })).ToList();
        foreach (var dropped in _parsed.Keys.Except(rows.Select(r => r.KeyId)))
        {
            _parsed.TryRemove(dropped, out _);
        }
        var current = rows.Select((r, i) => (r, i)).First(x => x.r.State == SigningKeyStates.Current).i;
        return new Snapshot(all[current], all, now);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not reread the signing keys; signing with the ones loaded before")]
    private partial void LogReloadFailed(Exception exception);

    public sealed record Snapshot(RsaSecurityKey Current, IReadOnlyList<RsaSecurityKey> All, DateTimeOffset LoadedAt);
}

/// <summary>A JSON Web Key Set (RFC 7517) of the public halves of the signing keys.</summary>
public sealed record SigningKeySet(
    [property: Description("已公布的签名公钥：当前签发的一把、下一把（轮换后开始签发，提前公布以便各服务预先取得），以及尚未到期的已退役密钥；按 kid 选用")]
    IReadOnlyList<SigningKey> Keys);

/// <summary>One RSA public key as a JWK; member names fixed by RFC 7517/7518.</summary>
public sealed record SigningKey(
    [property: Description("密钥类型，恒为 RSA")] string Kty,
    [property: Description("用途，恒为 sig（签名）")] string Use,
    [property: Description("算法，恒为 RS256")] string Alg,
    [property: Description("密钥编号，与令牌头部的 kid 对应")] string Kid,
    [property: Description("RSA 模数（base64url）")] string N,
    [property: Description("RSA 公钥指数（base64url）")] string E);
