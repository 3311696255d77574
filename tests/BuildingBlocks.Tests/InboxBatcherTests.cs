using Dapper;
using MassTransit;
using RabbitMQ.Client;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.BuildingBlocks.Tests;

/// <summary>
/// The batched inbox keeps the inbox's promises while handling many messages per transaction: one effect per
/// message id under redelivery, and a poison message failing alone.
/// </summary>
[Collection(nameof(MessagingCollection))]
public sealed class InboxBatcherTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_burst_with_redeliveries_is_handled_in_batches_with_one_effect_per_message()
    {
        var servers = await TestServers.GetAsync();
        var run = new TestRun(Guid.NewGuid());
        await using var consumer = await MessagingHost.StartAsync(servers, await servers.CreateDatabaseAsync("batched"), run, withConsumer: true);

        // 2,000 messages, and every tenth sent a second time under the same message id, as a broker redelivers.
        var ids = Enumerable.Range(0, 2000).Select(_ => NewId.NextGuid()).ToArray();
        var sends = Enumerable.Range(0, 2000).Concat(Enumerable.Range(0, 2000).Where(i => i % 10 == 0));
        var endpoint = await consumer.Bus.GetSendEndpoint(new Uri($"queue:{consumer.BatchedQueue}"));
        await Parallel.ForEachAsync(sends, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, cancellationToken) =>
            await endpoint.Send(new BatchedTestMessage(run.RunId, i), context => context.MessageId = ids[i], cancellationToken));

        await Eventually.HoldsAsync(async () => (await consumer.EffectsBySequenceAsync(run.RunId)).Count == 2000, Patience,
            "every message to take effect");
        await Task.Delay(TimeSpan.FromSeconds(1)); // the redeliveries still in flight must add nothing
        var effects = await consumer.EffectsBySequenceAsync(run.RunId);
        Assert.Equal(2000, effects.Count);
        Assert.All(effects.Values, count => Assert.Equal(1, count));
        Assert.Equal(2000, await consumer.CountAsync("select count(*) from inbox_messages where consumer = 'TestBatcher'"));
        // Batched, not one by one: fewer transactions than messages.
        Assert.True(consumer.Batcher.BatchSizes.Count < 2000 && consumer.Batcher.BatchSizes.Max() > 1,
            $"{consumer.Batcher.BatchSizes.Count} batches, largest {consumer.Batcher.BatchSizes.Max()}");
    }

    [Fact]
    public async Task A_poison_message_in_a_batch_goes_to_the_error_queue_alone_and_the_rest_take_effect()
    {
        var servers = await TestServers.GetAsync();
        var run = new TestRun(Guid.NewGuid());
        await using var consumer = await MessagingHost.StartAsync(servers, await servers.CreateDatabaseAsync("batched-poison"), run, withConsumer: true);

        var endpoint = await consumer.Bus.GetSendEndpoint(new Uri($"queue:{consumer.BatchedQueue}"));
        await Parallel.ForEachAsync(Enumerable.Range(0, 500), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, cancellationToken) =>
            await endpoint.Send(new BatchedTestMessage(run.RunId, i, Poison: i == 250), cancellationToken));

        await Eventually.HoldsAsync(async () => (await consumer.EffectsBySequenceAsync(run.RunId)).Count == 499, Patience,
            "every healthy message to take effect");
        var effects = await consumer.EffectsBySequenceAsync(run.RunId);
        Assert.DoesNotContain(250, effects.Keys);
        Assert.All(effects.Values, count => Assert.Equal(1, count));
        Assert.True(consumer.Batcher.LargestPoisonedBatch > 1, "the poison message should have arrived in a batch with others");

        var factory = new ConnectionFactory { Uri = new Uri(servers.Messaging) };
        await using var connection = await factory.CreateConnectionAsync();
        string? reason = null;
        await Eventually.HoldsAsync(async () => (reason = await ErrorQueue.TakeReasonAsync(connection, consumer.BatchedQueue)) is not null,
            Patience, "the poison message to reach the error queue");
        Assert.Equal("poison message 250", reason);
        Assert.Null(await ErrorQueue.TakeReasonAsync(connection, consumer.BatchedQueue)); // only that one
    }
}
