using System.Collections.Concurrent;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.ServiceDefaults;

namespace TrainingPlatform.BuildingBlocks.Security;

/// <summary>Settings under <c>Sessions</c>.</summary>
public sealed class SessionOptions
{
    public const string SectionName = "Sessions";

    /// <summary>How often each replica reads the versions changed since its last read: how soon an ended session is refused everywhere.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// This replica's copy of <c>session_versions</c> in memory: the token check is a dictionary lookup, never a query.
/// Loaded whole at start-up and kept current by <see cref="SessionVersionRefresh"/>; versions only ever grow here.
/// </summary>
public sealed class SessionVersions : ISessionRevocations
{
    private readonly ConcurrentDictionary<Guid, int> _versions = new();

    public int RequiredVersion(Guid accountId) => _versions.TryGetValue(accountId, out var version) ? version : 0;

    /// <summary>Takes a version read or written; an older one than known changes nothing.</summary>
    public void Raise(Guid accountId, int version) =>
        _versions.AddOrUpdate(accountId, version, (_, known) => Math.Max(known, version));

    public int Count => _versions.Count;
}

/// <summary>The SQL of <c>session_versions</c>, the same table in every service's database.</summary>
public static class SessionVersionStore
{
    /// <summary>Versions only grow: a repeated or late (lower) version writes nothing.</summary>
    private const string SaveSql = """
        insert into session_versions (account_id, session_version, reason, changed_at)
        values (@AccountId, @SessionVersion, @Reason, @EndedAt)
        on conflict (account_id) do update
        set session_version = excluded.session_version, reason = excluded.reason, changed_at = excluded.changed_at,
            changed_xact = pg_current_xact_id()
        where session_versions.session_version < excluded.session_version
        """;

    /// <summary>
    /// The rows written by transactions from <c>@Since</c> on, and the oldest transaction still running now: every
    /// transaction before it has committed (or failed), so the next read starting there misses nothing.
    /// </summary>
    private const string ChangedSinceSql = """
        select account_id, session_version, pg_snapshot_xmin(pg_current_snapshot())::text::bigint as horizon
        from session_versions where changed_xact >= (@Since::text)::xid8
        union all
        select null::uuid, null::int, pg_snapshot_xmin(pg_current_snapshot())::text::bigint
        """;

    /// <summary>Keeps the higher version; version 0 (every account's first) ends nothing and is not kept.</summary>
    public static Task SaveAsync(UnitOfWork unitOfWork, AccountSessionsEnded ended, CancellationToken cancellationToken) =>
        ended.SessionVersion <= 0
            ? Task.CompletedTask
            : unitOfWork.Connection.ExecuteAsync(new CommandDefinition(SaveSql, ended, unitOfWork.Transaction, cancellationToken: cancellationToken));

    internal static async Task<(IReadOnlyList<(Guid AccountId, int Version)> Changed, long Horizon)> ChangedSinceAsync(NpgsqlDataSource db,
        long since, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<(Guid? AccountId, int? Version, long Horizon)>(new CommandDefinition(
            ChangedSinceSql, new { Since = since }, cancellationToken: cancellationToken))).ToList();
        return ([.. rows.Where(r => r.AccountId is not null).Select(r => (r.AccountId!.Value, r.Version!.Value))], rows.Min(r => r.Horizon));
    }
}

/// <summary>
/// Keeps this replica's <see cref="SessionVersions"/> current: the whole table before requests are taken, then every
/// <see cref="SessionOptions.RefreshInterval"/> the rows changed since the last read (usually none, an index probe).
/// Only one replica of a service consumes each <see cref="AccountSessionsEnded"/>, but every replica reads the table
/// it wrote, so an ended session is refused by all of them within about a second of reaching the service.
/// </summary>
public sealed partial class SessionVersionRefresh(
    NpgsqlDataSource db,
    SessionVersions versions,
    IOptions<SessionOptions> options,
    ILogger<SessionVersionRefresh> logger) : BackgroundService
{
    private long _since;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RefreshInterval > TimeSpan.Zero ? options.Value.RefreshInterval : TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await RefreshAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    // The versions held stay in force; the next tick reads everything since the last good read.
                    LogRefreshFailed(ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var (changed, horizon) = await SessionVersionStore.ChangedSinceAsync(db, _since, cancellationToken);
        foreach (var (accountId, version) in changed)
        {
            versions.Raise(accountId, version);
        }
        _since = horizon;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the ended sessions failed; the versions already known stay in force")]
    private partial void LogRefreshFailed(Exception exception);
}

/// <summary>Every service's copy of the ended sessions. (Directory writes the table itself; its own message then changes nothing.)</summary>
public sealed class AccountSessionsEndedCopy(NpgsqlDataSource db) : IdempotentConsumer<AccountSessionsEnded>(db)
{
    protected override Task HandleAsync(AccountSessionsEnded message, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        SessionVersionStore.SaveAsync(unitOfWork, message, cancellationToken);
}

public static class SessionVersionsSetup
{
    /// <summary>The in-memory ended sessions the token check reads (<see cref="ISessionRevocations"/>) and their refresh.</summary>
    public static IServiceCollection AddSessionVersions(this IServiceCollection services)
    {
        services.AddOptions<SessionOptions>().BindConfiguration(SessionOptions.SectionName);
        services.AddSingleton<SessionVersions>();
        services.AddSingleton<ISessionRevocations>(sp => sp.GetRequiredService<SessionVersions>());
        services.AddHostedService<SessionVersionRefresh>();
        return services;
    }
}
