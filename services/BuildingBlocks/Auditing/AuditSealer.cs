using TrainingPlatform.BuildingBlocks.Time;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace TrainingPlatform.BuildingBlocks.Auditing;

/// <summary>Settings under <c>Audit</c>.</summary>
public sealed class AuditSealerOptions
{
    public const string SectionName = "Audit";

    /// <summary>
    /// A commit in this process that recorded something wakes the sealer; this poll chains what nobody signalled
    /// (another replica's records whose sealer is down, a script's, a crash's leftovers).
    /// </summary>
    public TimeSpan SealInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a woken sealer waits for more commits before it takes the lock: a few milliseconds more per record,
    /// many records per lock and per commit flush.
    /// </summary>
    public TimeSpan Linger { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Records chained per transaction.</summary>
    public int BatchSize { get; set; } = 500;
}

/// <summary>
/// Chains the records actions left in <c>audit_pending</c>. Taking the chain's lock inside every audited action held
/// it through each commit's WAL flush, so a service's audited writes went one at a time (about 170 a second at 16
/// connections, issue 20's AuditCost); here an action only inserts its record, and the lock is taken once per batch,
/// by this sealer, after the actions have committed. Every replica runs one; the lock makes them take turns.
/// </summary>
public sealed partial class AuditSealer(NpgsqlDataSource dataSource, IOptions<AuditSealerOptions> options, ILogger<AuditSealer> logger)
    : BackgroundService
{
    private static event Action? Raised;

    private readonly Channel<bool> _wakeUp = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    private AuditSealerOptions Options => options.Value;

    /// <summary>
    /// Wakes this process's sealers: a transaction that recorded something has committed. In-process, like the
    /// outbox's signal: a NOTIFY would hold a database-wide lock through each commit's flush, the very thing avoided here.
    /// </summary>
    public static void Signal() => Raised?.Invoke();

    /// <summary>
    /// Chains everything committed before the call, batch after batch, and returns how many records it chained. The
    /// trail's search and verification call it first, so a record is there for the auditor once its action has answered.
    /// </summary>
    public async Task<long> SealPendingAsync(CancellationToken cancellationToken)
    {
        long total = 0;
        int count;
        do
        {
            count = await AuditPendingStore.SealBatchAsync(dataSource, Options.BatchSize, cancellationToken);
            total += count;
        }
        while (count >= Options.BatchSize);
        return total;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        void WakeUp() => _wakeUp.Writer.TryWrite(true);
        Raised += WakeUp;
        try
        {
            var failures = 0;
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (await AuditPendingStore.SealBatchAsync(dataSource, Options.BatchSize, stoppingToken) >= Options.BatchSize)
                    {
                        failures = 0;
                        continue; // more are waiting
                    }
                    failures = 0;
                    if (await WaitForWorkAsync(stoppingToken))
                    {
                        await Task.Delay(Options.Linger, stoppingToken);
                    }
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex)
                {
                    // The records wait in audit_pending, and the trail's readers seal on their own: back off and retry.
                    failures++;
                    var delay = Backoff.After(failures);
                    LogSealFailed(ex, delay);
                    await Task.Delay(delay, stoppingToken).ContinueWith(_ => { }, CancellationToken.None);
                }
            }
        }
        finally
        {
            Raised -= WakeUp;
        }
    }

    /// <summary>True if a commit woke the sealer, false if the poll interval ran out.</summary>
    private async Task<bool> WaitForWorkAsync(CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(Options.SealInterval);
        try
        {
            return await _wakeUp.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sealing audit records failed; they stay pending, retrying in {Delay}")]
    private partial void LogSealFailed(Exception exception, TimeSpan delay);
}

public static class AuditSealerRegistration
{
    /// <summary>The sealer for the service's database: a hosted service, and the same instance for the trail's readers.</summary>
    public static IServiceCollection AddAuditSealer(this IServiceCollection services)
    {
        services.AddOptions<AuditSealerOptions>().BindConfiguration(AuditSealerOptions.SectionName);
        services.AddSingleton<AuditSealer>();
        services.AddHostedService(provider => provider.GetRequiredService<AuditSealer>());
        return services;
    }
}
