using TrainingPlatform.BuildingBlocks.Time;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Threading.Channels;
using Dapper;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace TrainingPlatform.BuildingBlocks.Messaging;

/// <summary>
/// Publishes outbox rows through MassTransit and marks them sent. A batch is claimed with
/// <c>FOR UPDATE SKIP LOCKED</c>, so replicas of a service share the work without taking the same row, and it
/// is marked sent in the same transaction that claimed it: a crash anywhere before the commit leaves the rows
/// unsent and they are published again (at least once); consumers' inboxes absorb the repeat.
/// </summary>
public sealed partial class OutboxDispatcher(
    NpgsqlDataSource dataSource,
    IBus bus,
    IOptions<OutboxOptions> options,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    public static readonly ActivitySource ActivitySource = new("TrainingPlatform.Outbox");
    private static readonly Meter Meter = new("TrainingPlatform.Messaging");
    private static readonly Counter<long> Published = Meter.CreateCounter<long>("outbox.messages.published");

    private const string ClaimSql = """
        select id, message_id, message_type, body::text as body, trace_parent, trace_state
        from outbox_messages
        where sent_at is null
        order by id
        limit @BatchSize
        for update skip locked
        """;

    private const string MarkSentSql = """
        update outbox_messages
        set sent_at = now(), attempts = attempts + 1, last_error = null
        where id = any(@Ids)
        """;

    private const string MarkFailedSql = """
        update outbox_messages
        set attempts = attempts + 1, last_error = @Error
        where id = @Id
        """;

    private readonly Channel<bool> _wakeUp = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    private OutboxOptions Options => options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var signal = OutboxSignal.Subscribe(() => _wakeUp.Writer.TryWrite(true));
        var failures = 0;

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var claimed = await DispatchBatchAsync(stoppingToken);
                failures = 0;
                if (claimed >= Options.BatchSize)
                {
                    continue; // more are waiting
                }
                if (await WaitForWorkAsync(Options.PollInterval, stoppingToken))
                {
                    // Let the requests committing right now join this batch: one claim and one commit per batch
                    // instead of per request is most of what the outbox costs PostgreSQL on a busy day.
                    await Task.Delay(Options.Linger, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                failures++;
                var delay = Backoff.After(failures);
                LogDispatchFailed(ex, delay);
                await Task.Delay(delay, stoppingToken).ContinueWith(_ => { }, CancellationToken.None);
            }
        }
    }

    /// <summary>Claims, publishes and marks one batch. Returns how many rows it claimed.</summary>
    internal async Task<int> DispatchBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var rows = (await connection.QueryAsync<OutboxRow>(new CommandDefinition(
            ClaimSql, new { Options.BatchSize }, transaction, cancellationToken: cancellationToken))).AsList();
        if (rows.Count == 0)
        {
            return 0;
        }

        var errors = await Task.WhenAll(rows.Select(row => PublishAsync(row, cancellationToken)));

        var sent = rows.Where((_, i) => errors[i] is null).ToList();
        if (Options.AfterPublishBeforeMarkSent is { } crash)
        {
            await crash(sent.Select(r => r.MessageId).ToList(), cancellationToken);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            MarkSentSql, new { Ids = sent.Select(r => r.Id).ToArray() }, transaction, cancellationToken: cancellationToken));
        for (var i = 0; i < rows.Count; i++)
        {
            if (errors[i] is { } error)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    MarkFailedSql, new { rows[i].Id, Error = error.ToString() }, transaction, cancellationToken: cancellationToken));
            }
        }
        await transaction.CommitAsync(cancellationToken);
        Published.Add(sent.Count);

        if (sent.Count < rows.Count)
        {
            var first = errors.First(e => e is not null)!;
            throw new InvalidOperationException($"{rows.Count - sent.Count} of {rows.Count} outbox messages could not be published.", first);
        }
        return rows.Count;
    }

    private async Task<Exception?> PublishAsync(OutboxRow row, CancellationToken cancellationToken)
    {
        // Continue the trace of the request that wrote the row, so HTTP request → dispatch → consumer is one trace.
        ActivityContext.TryParse(row.TraceParent, row.TraceState, out var parent);
        using var activity = ActivitySource.StartActivity("outbox dispatch", ActivityKind.Internal, parent);
        activity?.SetTag("messaging.message.id", row.MessageId.ToString());
        activity?.SetTag("messaging.message.type", row.MessageType);

        try
        {
            var type = MessageTypes.Resolve(row.MessageType);
            var message = JsonSerializer.Deserialize(row.Body, type, MessageTypes.JsonOptions)
                          ?? throw new InvalidOperationException($"Outbox row {row.Id} has an empty body.");
            await bus.Publish(message, type, context => context.MessageId = row.MessageId, cancellationToken);
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            return ex;
        }
    }

    /// <summary>Waits for a commit's signal or the poll interval; true when signalled.</summary>
    private async Task<bool> WaitForWorkAsync(TimeSpan timeout, CancellationToken stoppingToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timer.CancelAfter(timeout);
        try
        {
            await _wakeUp.Reader.ReadAsync(timer.Token);
            return true;
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return false; // poll interval elapsed
        }
    }

    private sealed class OutboxRow
    {
        public long Id { get; init; }
        public Guid MessageId { get; init; }
        public string MessageType { get; init; } = "";
        public string Body { get; init; } = "";
        public string? TraceParent { get; init; }
        public string? TraceState { get; init; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox dispatch failed; retrying in {Delay}")]
    private partial void LogDispatchFailed(Exception exception, TimeSpan delay);
}
