using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;

namespace TrainingPlatform.BuildingBlocks.Messaging;

/// <summary>A consumed message waiting for its batch, with the trace it arrived under.</summary>
public sealed record Inbound<TMessage>(Guid MessageId, TMessage Message, ActivityContext Trace);

/// <summary>
/// Like <see cref="IdempotentConsumer{TMessage}"/>, exactly one effect per message id, but for a message that
/// arrives thousands of times a second: the messages being consumed at the same moment are handled together in one
/// transaction (inbox rows, effect and outbox rows, set-based), so the commit and the round trips are paid once per
/// batch instead of once per message. Nothing waits to fill a batch: a worker takes whatever has arrived while the
/// previous batch was committing.
/// <para>
/// Each message still succeeds or fails on its own, as MassTransit expects: when a batch fails, its messages are
/// handled again one by one, each in its own transaction, so one poison message goes to the error queue with its
/// reason (after MassTransit's retries) and the others are posted. A batch that failed because the database is
/// unreachable fails every message with that reason, which sends them back to their queue, never to the error queue.
/// </para>
/// Register with <see cref="InboxBatcherRegistration.AddInboxBatcher{TMessage, TBatcher}"/> and consume with a
/// <see cref="BatchedConsumer{TMessage}"/>.
/// </summary>
public abstract partial class InboxBatcher<TMessage>(NpgsqlDataSource dataSource, ILogger logger) : BackgroundService
    where TMessage : class
{
    private static readonly Meter Meter = new("TrainingPlatform.Messaging");
    private static readonly Histogram<int> BatchSizes = Meter.CreateHistogram<int>("inbox.batch.size", "{message}");
    private static readonly Counter<long> Duplicates = Meter.CreateCounter<long>("inbox.duplicates.skipped");

    private readonly Channel<Pending> _arrived = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = false });

    /// <summary>The most messages in one transaction.</summary>
    protected virtual int MaxBatchSize => 500;

    /// <summary>Batches committing at once: while one waits on PostgreSQL, the next is being gathered and sent.</summary>
    protected virtual int Workers => 4;

    /// <summary>The inbox's consumer key; keep it stable, or messages already handled would be handled again.</summary>
    protected virtual string ConsumerName => GetType().Name;

    /// <summary>The effect for every new message of the batch: SQL on <paramref name="unitOfWork"/>, no commit.</summary>
    protected abstract Task HandleAsync(IReadOnlyList<Inbound<TMessage>> messages, UnitOfWork unitOfWork, CancellationToken cancellationToken);

    /// <summary>Hands a consumed message to the next batch and completes when that batch (or its own retry) has committed.</summary>
    public async Task SubmitAsync(ConsumeContext<TMessage> context)
    {
        var messageId = context.MessageId
            ?? throw new PermanentMessageFailure("消息缺少 MessageId，无法去重 (message has no MessageId)");
        var pending = new Pending(new Inbound<TMessage>(messageId, context.Message, Activity.Current?.Context ?? default));
        if (!_arrived.Writer.TryWrite(pending))
        {
            throw new DependencyUnavailableException("The service is stopping; the message will be delivered again.");
        }
        await pending.Done.Task.WaitAsync(context.CancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => WorkAsync(stoppingToken)));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Unacknowledged, these go back to the broker and come again.
            _arrived.Writer.TryComplete();
            while (_arrived.Reader.TryRead(out var left))
            {
                left.Done.TrySetCanceled(stoppingToken);
            }
        }
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>(MaxBatchSize);
        while (await _arrived.Reader.WaitToReadAsync(stoppingToken))
        {
            batch.Clear();
            while (batch.Count < MaxBatchSize && _arrived.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }
            if (batch.Count > 0)
            {
                await RunAsync(batch, stoppingToken);
            }
        }
    }

    private async Task RunAsync(List<Pending> batch, CancellationToken cancellationToken)
    {
        BatchSizes.Record(batch.Count);
        try
        {
            await CommitAsync(batch, cancellationToken);
            batch.ForEach(p => p.Done.TrySetResult());
        }
        // A batch that failed because PostgreSQL is unreachable would fail again one by one, a connection attempt
        // per message: each message fails with that reason at once, goes back to its queue (see ServiceMessaging) and
        // is batched again when it comes back.
        catch (Exception exception) when (batch.Count > 1 && !cancellationToken.IsCancellationRequested && !DependencyFailure.Is(exception))
        {
            LogBatchFailed(exception, batch.Count);
            foreach (var pending in batch)
            {
                try
                {
                    await CommitAsync([pending], cancellationToken);
                    pending.Done.TrySetResult();
                }
                catch (Exception one)
                {
                    pending.Done.TrySetException(one);
                }
            }
        }
        catch (Exception exception)
        {
            batch.ForEach(p => p.Done.TrySetException(exception));
        }
    }

    private async Task CommitAsync(IReadOnlyList<Pending> batch, CancellationToken cancellationToken)
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(dataSource, cancellationToken);
        var recorded = (await unitOfWork.Connection.QueryAsync<Guid>(new CommandDefinition("""
            insert into inbox_messages (message_id, consumer, message_type)
            select id, @Consumer, @MessageType from unnest(@Ids) as m (id) order by id
            on conflict (message_id, consumer) do nothing
            returning message_id
            """, new { Ids = batch.Select(p => p.Message.MessageId).Distinct().ToArray(), Consumer = ConsumerName, MessageType = typeof(TMessage).Name },
            unitOfWork.Transaction, cancellationToken: cancellationToken))).ToHashSet();
        // The same message twice in one batch (a redelivery racing the first copy) is handled once: Remove is true once.
        var fresh = batch.Where(p => recorded.Remove(p.Message.MessageId)).Select(p => p.Message).ToList();
        if (fresh.Count < batch.Count)
        {
            Duplicates.Add(batch.Count - fresh.Count, new KeyValuePair<string, object?>("consumer", ConsumerName));
        }
        if (fresh.Count > 0)
        {
            await HandleAsync(fresh, unitOfWork, cancellationToken);
        }
        await unitOfWork.CommitAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "A batch of {Count} messages failed; handling them one by one")]
    private partial void LogBatchFailed(Exception exception, int count);

    private sealed record Pending(Inbound<TMessage> Message)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>The consumer MassTransit calls for each message; the batcher does the work.</summary>
public abstract class BatchedConsumer<TMessage>(InboxBatcher<TMessage> batcher) : IConsumer<TMessage>
    where TMessage : class
{
    public Task Consume(ConsumeContext<TMessage> context) => batcher.SubmitAsync(context);
}

/// <summary>
/// Lets enough messages be in flight on a batched consumer's queue for batches to form (the services' default
/// prefetch of 32 would cap every batch at 32).
/// </summary>
public abstract class BatchedConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    protected BatchedConsumerDefinition(int inFlight = 1000)
    {
        InFlight = inFlight;
        ConcurrentMessageLimit = inFlight;
    }

    private int InFlight { get; }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = InFlight;
        endpointConfigurator.ConcurrentMessageLimit = InFlight;
    }
}

public static class InboxBatcherRegistration
{
    /// <summary>One <typeparamref name="TBatcher"/> per service, running its workers for the service's lifetime.</summary>
    public static IServiceCollection AddInboxBatcher<TMessage, TBatcher>(this IServiceCollection services)
        where TMessage : class
        where TBatcher : InboxBatcher<TMessage>
    {
        services.AddSingleton<TBatcher>();
        services.AddSingleton<InboxBatcher<TMessage>>(provider => provider.GetRequiredService<TBatcher>());
        services.AddHostedService(provider => provider.GetRequiredService<TBatcher>());
        return services;
    }
}
