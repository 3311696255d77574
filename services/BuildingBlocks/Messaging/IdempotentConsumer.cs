using System.Diagnostics.Metrics;
using Dapper;
using MassTransit;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;

namespace TrainingPlatform.BuildingBlocks.Messaging;

/// <summary>
/// A consumer whose effect happens once per message however often the broker delivers it: the message id goes
/// into the inbox table in the same transaction as the effect. A redelivery finds the id already there and does
/// nothing; a concurrent duplicate waits on the first one's row and then does nothing. Messages the handler
/// publishes go through the same transaction's outbox.
/// </summary>
public abstract class IdempotentConsumer<TMessage>(NpgsqlDataSource dataSource) : IConsumer<TMessage>
    where TMessage : class
{
    private static readonly Meter Meter = new("TrainingPlatform.Messaging");
    private static readonly Counter<long> Duplicates = Meter.CreateCounter<long>("inbox.duplicates.skipped");

    private const string RecordSql = """
        insert into inbox_messages (message_id, consumer, message_type)
        values (@MessageId, @Consumer, @MessageType)
        on conflict (message_id, consumer) do nothing
        """;

    /// <summary>Distinguishes consumers of the same message inside one service.</summary>
    protected virtual string ConsumerName => GetType().Name;

    public async Task Consume(ConsumeContext<TMessage> context)
    {
        var messageId = context.MessageId
            ?? throw new PermanentMessageFailure("消息缺少 MessageId，无法去重 (message has no MessageId)");

        await using var unitOfWork = await UnitOfWork.BeginAsync(dataSource, context.CancellationToken);
        var recorded = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(RecordSql,
            new { MessageId = messageId, Consumer = ConsumerName, MessageType = typeof(TMessage).Name },
            unitOfWork.Transaction, cancellationToken: context.CancellationToken));
        if (recorded == 0)
        {
            Duplicates.Add(1, new KeyValuePair<string, object?>("consumer", ConsumerName));
            return;
        }

        await HandleAsync(context.Message, unitOfWork, context.CancellationToken);
        await unitOfWork.CommitAsync(context.CancellationToken);
    }

    /// <summary>The effect: SQL on <paramref name="unitOfWork"/>; no commit (the base commits with the inbox row).</summary>
    protected abstract Task HandleAsync(TMessage message, UnitOfWork unitOfWork, CancellationToken cancellationToken);
}
