using Microsoft.Extensions.Options;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;

namespace TrainingPlatform.Services.Directory.Accounts;

/// <summary>Settings under <c>Authentication:KeyRotation</c>.</summary>
public sealed class KeyRotationOptions
{
    public const string SectionName = "Authentication:KeyRotation";

    /// <summary>How long a key signs before the next one takes over. Zero turns scheduled rotation off (the operator's command still works).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often each replica looks whether the current key is due.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often each replica rereads the keys, so one replica's rotation reaches the others without a restart.</summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Rotates the signing keys, on the operator's command or when the current key is due.</summary>
public sealed class KeyRotation(NpgsqlDataSource db, SigningKeys keys, IOptions<KeyRotationOptions> rotation, IOptions<SignInOptions> signIn,
    TimeProvider clock)
{
    /// <summary>Validators allow this much clock difference past a token's expiry.</summary>
    private static readonly TimeSpan ClockAllowance = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a retired key stays published: the longest a token lives, plus the time other replicas may go on
    /// signing with it before they reread the keys, plus the validators' clock allowance.
    /// </summary>
    public TimeSpan RetiredKeyLifetime =>
        (signIn.Value.TokenLifetime > signIn.Value.PasswordChangeTokenLifetime ? signIn.Value.TokenLifetime : signIn.Value.PasswordChangeTokenLifetime)
        + rotation.Value.ReloadInterval + ClockAllowance;

    /// <summary>The operator's command: rotates at once, recorded as theirs.</summary>
    public async Task<IReadOnlyList<SigningKeyRow>> RotateNowAsync(AuditActor actor, CancellationToken cancellationToken)
    {
        var (_, rows) = await SigningKeyStore.RotateAsync(db, clock.GetUtcNow(), RetiredKeyLifetime, null,
            (connection, transaction) => AuditTrail.RecordAsync(connection, transaction, actor, DirectoryAudit.SigningKeysRotated,
                DirectoryAudit.SigningKeys, "rotation", "按运营指令立即轮换令牌签名密钥：下一把开始签发，原当前密钥退役", cancellationToken),
            cancellationToken);
        await keys.ReloadAsync(cancellationToken);
        return rows;
    }

    /// <summary>Rotates when the current key has signed for a whole interval; whether it did.</summary>
    public async Task<bool> RotateIfDueAsync(CancellationToken cancellationToken)
    {
        var (rotated, _) = await SigningKeyStore.RotateAsync(db, clock.GetUtcNow(), RetiredKeyLifetime, rotation.Value.Interval,
            (connection, transaction) => AuditTrail.RecordAsync(connection, transaction, DirectoryAudit.System(), DirectoryAudit.SigningKeysRotated,
                DirectoryAudit.SigningKeys, "rotation", $"按计划轮换令牌签名密钥（当前密钥已签发满 {rotation.Value.Interval}）", cancellationToken),
            cancellationToken);
        if (rotated)
        {
            await keys.ReloadAsync(cancellationToken);
        }
        return rotated;
    }

    public Task<IReadOnlyList<SigningKeyRow>> ListAsync(CancellationToken cancellationToken) =>
        SigningKeyStore.LoadAsync(db, clock.GetUtcNow(), cancellationToken);
}

/// <summary>Each replica looks every <see cref="KeyRotationOptions.CheckInterval"/> whether the current key is due.</summary>
internal sealed partial class KeyRotationSchedule(KeyRotation rotation, IOptions<KeyRotationOptions> options, TimeProvider clock,
    ILogger<KeyRotationSchedule> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Interval <= TimeSpan.Zero)
        {
            return;
        }
        using var timer = new PeriodicTimer(options.Value.CheckInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (await rotation.RotateIfDueAsync(stoppingToken))
                {
                    LogRotated();
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rotated the signing keys on schedule")]
    private partial void LogRotated();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not rotate the signing keys; trying again at the next check")]
    private partial void LogFailed(Exception exception);
}
