using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace TrainingPlatform.BuildingBlocks.Messaging;

/// <summary>Keeps the outbox and inbox tables small: old sent rows and old inbox entries are deleted.</summary>
public sealed partial class MessagingHousekeeping(
    NpgsqlDataSource dataSource,
    IOptions<OutboxOptions> options,
    ILogger<MessagingHousekeeping> logger) : BackgroundService
{
    private const string CleanupSql = """
        delete from outbox_messages where sent_at < now() - @SentRetention;
        delete from inbox_messages where received_at < now() - @InboxRetention;
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HousekeepingInterval);
        while (await NextTickAsync(timer, stoppingToken))
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                await connection.ExecuteAsync(new CommandDefinition(CleanupSql,
                    new { options.Value.SentRetention, options.Value.InboxRetention }, cancellationToken: stoppingToken));
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                LogCleanupFailed(ex);
            }
        }
    }

    /// <summary>False once the service is stopping: a normal end, not a failure.</summary>
    private static async Task<bool> NextTickAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox/inbox cleanup failed; will try again at the next interval")]
    private partial void LogCleanupFailed(Exception exception);
}
