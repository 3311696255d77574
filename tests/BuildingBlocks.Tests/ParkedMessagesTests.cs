using MassTransit;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.BuildingBlocks.Tests;

/// <summary>
/// Re-driving what a consumer parked in its error queue, against real RabbitMQ and PostgreSQL: a poison message
/// whose missing data is then added is applied exactly once; a message that had in fact been applied has no second
/// effect; a re-drive by id moves only those messages and leaves the others parked in their order.
/// </summary>
[Collection(nameof(MessagingCollection))]
public sealed class ParkedMessagesTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_poison_message_fixed_by_a_data_change_is_listed_with_its_reason_then_redriven_and_applied_once()
    {
        var servers = await TestServers.GetAsync();
        var run = new TestRun(Guid.NewGuid());
        await using var consumer = await MessagingHost.StartAsync(servers, await servers.CreateDatabaseAsync("consumer"), run, withConsumer: true);
        var poisonId = NewId.NextGuid();

        await consumer.Bus.Publish(new TestMessage(run.RunId, 1));
        await consumer.Bus.Publish(new TestMessage(run.RunId, 2, Poison: true), ctx => ctx.MessageId = poisonId);
        await consumer.Bus.Publish(new TestMessage(run.RunId, 3));

        var queue = await ParkedAsync(consumer, count: 1);
        var parked = Assert.Single(queue.Messages);
        Assert.Equal(poisonId.ToString(), parked.MessageId);
        Assert.Equal("poison message 2", parked.Reason);
        Assert.EndsWith(nameof(PermanentMessageFailure), parked.ExceptionType);
        Assert.Equal(nameof(TestMessage), parked.MessageType);
        Assert.NotNull(parked.FaultedAt);
        Assert.Equal([1, 3], (await consumer.EffectsBySequenceAsync(run.RunId)).Keys.Order());
        // Looking does not take: the message is still parked.
        Assert.Equal(1, (await ParkedAsync(consumer, count: 1)).Count);

        await consumer.CureAsync(run.RunId, 2);
        var outcome = await consumer.Parked.RedriveAsync(consumer.ConsumerQueue, null, CancellationToken.None);

        Assert.Equal(1, outcome.Moved);
        await Eventually.HoldsAsync(async () => (await consumer.EffectsBySequenceAsync(run.RunId)).ContainsKey(2), Patience,
            "the re-driven message to take effect");
        var effects = await consumer.EffectsBySequenceAsync(run.RunId);
        Assert.Equal([1, 2, 3], effects.Keys.Order());
        Assert.All(effects.Values, count => Assert.Equal(1, count));
        Assert.Equal(0, (await ParkedAsync(consumer, count: 0)).Count);
    }

    [Fact]
    public async Task A_redriven_message_that_had_in_fact_been_applied_has_no_second_effect()
    {
        var servers = await TestServers.GetAsync();
        var run = new TestRun(Guid.NewGuid());
        await using var consumer = await MessagingHost.StartAsync(servers, await servers.CreateDatabaseAsync("consumer"), run, withConsumer: true);
        var messageId = NewId.NextGuid();
        var message = new TestMessage(run.RunId, 5);

        await consumer.Bus.Publish(message, ctx => ctx.MessageId = messageId);
        await Eventually.HoldsAsync(async () => (await consumer.EffectsBySequenceAsync(run.RunId)).ContainsKey(5), Patience,
            "the message to take effect");
        // The same message parked as well, as when its effect committed but the consumer's acknowledgement was lost
        // and the redelivery then failed for another reason.
        await ParkCopyAsync(consumer, message, messageId);
        Assert.Equal(messageId.ToString(), Assert.Single((await ParkedAsync(consumer, count: 1)).Messages).MessageId);

        var outcome = await consumer.Parked.RedriveAsync(consumer.ConsumerQueue, [messageId], CancellationToken.None);

        Assert.Equal(1, outcome.Moved);
        Assert.Empty(outcome.NotFound);
        await Eventually.HoldsAsync(() => Task.FromResult(consumer.Deliveries.ByMessageId.GetValueOrDefault(messageId) == 2), Patience,
            "the re-driven copy to reach the consumer");
        Assert.Equal(1, (await consumer.EffectsBySequenceAsync(run.RunId))[5]);
        Assert.Equal(0, (await ParkedAsync(consumer, count: 0)).Count);
    }

    [Fact]
    public async Task A_redrive_by_id_moves_only_those_messages_and_the_others_stay_parked_in_their_order()
    {
        var servers = await TestServers.GetAsync();
        var run = new TestRun(Guid.NewGuid());
        await using var consumer = await MessagingHost.StartAsync(servers, await servers.CreateDatabaseAsync("consumer"), run, withConsumer: true);
        var ids = new Dictionary<int, Guid>();
        foreach (var sequence in new[] { 11, 12, 13, 14 })
        {
            ids[sequence] = NewId.NextGuid();
            await consumer.Bus.Publish(new TestMessage(run.RunId, sequence, Poison: true), ctx => ctx.MessageId = ids[sequence]);
            // One at a time, so the error queue holds them in this order.
            await ParkedAsync(consumer, count: ids.Count);
        }
        foreach (var sequence in ids.Keys)
        {
            await consumer.CureAsync(run.RunId, sequence);
        }
        var absent = Guid.NewGuid();

        var outcome = await consumer.Parked.RedriveAsync(consumer.ConsumerQueue, [ids[12], ids[14], absent], CancellationToken.None);

        Assert.Equal(2, outcome.Moved);
        Assert.Equal([absent.ToString()], outcome.NotFound);
        await Eventually.HoldsAsync(async () => (await consumer.EffectsBySequenceAsync(run.RunId)).Count == 2, Patience,
            "the two re-driven messages to take effect");
        Assert.Equal([12, 14], (await consumer.EffectsBySequenceAsync(run.RunId)).Keys.Order());
        var left = await ParkedAsync(consumer, count: 2);
        Assert.Equal([ids[11].ToString(), ids[13].ToString()], left.Messages.Select(m => m.MessageId));
        Assert.All(left.Messages, m => Assert.StartsWith("poison message", m.Reason));
    }

    [Fact]
    public async Task Only_the_services_own_receive_queues_can_be_redriven()
    {
        var servers = await TestServers.GetAsync();
        var run = new TestRun(Guid.NewGuid());
        await using var consumer = await MessagingHost.StartAsync(servers, await servers.CreateDatabaseAsync("consumer"), run, withConsumer: true);

        Assert.Contains(consumer.ConsumerQueue, consumer.Parked.Queues);
        Assert.Contains(consumer.BatchedQueue, consumer.Parked.Queues);
        Assert.False(consumer.Parked.Owns(consumer.ConsumerQueue + "_error"));
        Assert.False(consumer.Parked.Owns("catalog-teacher-registered"));
        await Assert.ThrowsAsync<ArgumentException>(() => consumer.Parked.RedriveAsync("catalog-teacher-registered", null, CancellationToken.None));
    }

    /// <summary>The consumer queue's entry once exactly <paramref name="count"/> messages are parked in it.</summary>
    private static async Task<ParkedQueue> ParkedAsync(MessagingHost consumer, int count)
    {
        ParkedQueue? queue = null;
        await Eventually.HoldsAsync(async () =>
        {
            queue = (await consumer.Parked.ListAsync(100, CancellationToken.None)).Single(q => q.Queue == consumer.ConsumerQueue);
            return queue.Count == count && queue.Messages.Count == count;
        }, Patience, $"{count} messages parked in {consumer.ConsumerQueue}_error");
        return queue!;
    }

    /// <summary>Puts a copy of <paramref name="message"/> straight into the error queue, with a fault reason as MassTransit writes it.</summary>
    private static async Task ParkCopyAsync(MessagingHost consumer, TestMessage message, Guid messageId)
    {
        var errorQueue = await consumer.Bus.GetSendEndpoint(new Uri($"queue:{ParkedMessages.ErrorQueueOf(consumer.ConsumerQueue)}"));
        await errorQueue.Send(message, ctx =>
        {
            ctx.MessageId = messageId;
            ctx.Headers.Set(MessageHeaders.Reason, "fault");
            ctx.Headers.Set(MessageHeaders.FaultMessage, "acknowledgement lost, then refused");
        });
    }
}
