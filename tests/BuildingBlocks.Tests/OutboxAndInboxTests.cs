using System.Diagnostics;
using Dapper;
using MassTransit;
using RabbitMQ.Client;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace TrainingPlatform.BuildingBlocks.Tests;

/// <summary>
/// The reliable-messaging guarantees, against real PostgreSQL and RabbitMQ: a message leaves if and only if its
/// transaction commits, it leaves at least once whatever crashes, and its effect happens exactly once.
/// </summary>
[Collection(nameof(MessagingCollection))]
public sealed class OutboxAndInboxTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_message_written_in_a_rolled_back_transaction_is_never_sent()
    {
        var servers = await TestServers.GetAsync();
        var run = new TestRun(Guid.NewGuid());
        await using var producer = await MessagingHost.StartAsync(servers, await servers.CreateDatabaseAsync("producer"), run, withConsumer: false);
        await using var consumer = await MessagingHost.StartAsync(servers, await servers.CreateDatabaseAsync("consumer"), run, withConsumer: true);

        await producer.WriteAsync(run, from: 1, count: 3, commit: false);
        await producer.WriteAsync(run, from: 100, count: 1, commit: true); // a later marker that does go out

        await Eventually.HoldsAsync(async () => (await consumer.EffectsBySequenceAsync(run.RunId)).ContainsKey(100), Patience,
            "the committed marker message to be consumed");
        // The marker was written after the rolled-back ones, and the dispatcher sends in order of writing:
        // by the time it arrived, anything rolled back would have gone out before it.
        var effects = await consumer.EffectsBySequenceAsync(run.RunId);
        Assert.Equal([100], effects.Keys.Order());
        Assert.Equal(1, await producer.CountAsync("select count(*) from outbox_messages"));
    }

    [Fact]
    public async Task A_dispatcher_killed_between_publish_and_mark_sent_causes_a_redelivery_that_the_inbox_absorbs()
    {
        var servers = await TestServers.GetAsync();
        var run = new TestRun(Guid.NewGuid());
        var producerDb = await servers.CreateDatabaseAsync("producer");
        await using var consumer = await MessagingHost.StartAsync(servers, await servers.CreateDatabaseAsync("consumer"), run, withConsumer: true);

        // The first dispatcher publishes the batch, then hangs before it can mark it sent, and is killed.
        var published = new TaskCompletionSource<IReadOnlyList<Guid>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var doomed = await MessagingHost.StartAsync(servers, producerDb, run, withConsumer: false, outbox: o =>
            o.AfterPublishBeforeMarkSent = async (ids, ct) =>
            {
                published.TrySetResult(ids);
                await Task.Delay(Timeout.Infinite, ct);
            });
        await doomed.WriteAsync(run, from: 1, count: 20);
        var publishedIds = await published.Task.WaitAsync(Patience);
        await Eventually.HoldsAsync(async () => (await consumer.EffectsBySequenceAsync(run.RunId)).Count == 20, Patience,
            "the first publication to be consumed");
        await doomed.DisposeAsync(); // its connection closes mid-transaction: PostgreSQL rolls the claim back

        Assert.Equal(20, await CountUnsentAsync(producerDb));

        // A new dispatcher finds the rows still unsent and publishes them again.
        await using var successor = await MessagingHost.StartAsync(servers, producerDb, run, withConsumer: false);
        await Eventually.HoldsAsync(async () => await CountUnsentAsync(producerDb) == 0, Patience, "the successor to mark every row sent");
        await Eventually.HoldsAsync(() => Task.FromResult(publishedIds.All(id => consumer.Deliveries.ByMessageId.GetValueOrDefault(id) >= 2)),
            Patience, "every message to be delivered a second time");

        var effects = await consumer.EffectsBySequenceAsync(run.RunId);
        Assert.Equal(20, effects.Count);
        Assert.All(effects.Values, count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task The_same_message_delivered_twice_has_one_effect()
    {
        var servers = await TestServers.GetAsync();
        var run = new TestRun(Guid.NewGuid());
        await using var consumer = await MessagingHost.StartAsync(servers, await servers.CreateDatabaseAsync("consumer"), run, withConsumer: true);

        var messageId = NewId.NextGuid();
        var message = new TestMessage(run.RunId, 7);
        await consumer.Bus.Publish(message, ctx => ctx.MessageId = messageId);
        await consumer.Bus.Publish(message, ctx => ctx.MessageId = messageId);

        await Eventually.HoldsAsync(() => Task.FromResult(consumer.Deliveries.ByMessageId.GetValueOrDefault(messageId) == 2), Patience,
            "both deliveries to reach the consumer");
        var effects = await consumer.EffectsBySequenceAsync(run.RunId);
        Assert.Equal(1, effects[7]);
        Assert.Equal(1, await consumer.CountAsync($"select count(*) from inbox_messages where message_id = '{messageId}'"));
    }

    [Fact]
    public async Task A_poison_message_lands_in_the_error_queue_with_its_reason_and_the_rest_keep_flowing()
    {
        var servers = await TestServers.GetAsync();
        var run = new TestRun(Guid.NewGuid());
        await using var consumer = await MessagingHost.StartAsync(servers, await servers.CreateDatabaseAsync("consumer"), run, withConsumer: true);

        await consumer.Bus.Publish(new TestMessage(run.RunId, 1));
        await consumer.Bus.Publish(new TestMessage(run.RunId, 2, Poison: true));
        await consumer.Bus.Publish(new TestMessage(run.RunId, 3));

        await Eventually.HoldsAsync(async () => (await consumer.EffectsBySequenceAsync(run.RunId)).Count == 2, Patience,
            "the healthy messages on either side of the poison one to be consumed");
        Assert.Equal([1, 3], (await consumer.EffectsBySequenceAsync(run.RunId)).Keys.Order());

        var factory = new ConnectionFactory { Uri = new Uri(servers.Messaging) };
        await using var connection = await factory.CreateConnectionAsync();
        string? reason = null;
        await Eventually.HoldsAsync(async () => (reason = await ErrorQueue.TakeReasonAsync(connection, consumer.ConsumerQueue)) is not null,
            Patience, "the poison message to reach the error queue");
        Assert.Equal("poison message 2", reason);
    }

    [Fact]
    public async Task Ten_thousand_messages_through_two_competing_dispatchers_arrive_exactly_once_in_effect()
    {
        const int total = 10_000;
        var servers = await TestServers.GetAsync();
        var run = new TestRun(Guid.NewGuid());
        var producerDb = await servers.CreateDatabaseAsync("producer");
        await using var consumer = await MessagingHost.StartAsync(servers, await servers.CreateDatabaseAsync("consumer"), run, withConsumer: true);
        await using var first = await MessagingHost.StartAsync(servers, producerDb, run, withConsumer: false);
        await using var second = await MessagingHost.StartAsync(servers, producerDb, run, withConsumer: false);

        var clock = Stopwatch.StartNew();
        // Written while both dispatchers run, in transactions of 100, from both "replicas".
        await Task.WhenAll(
            Task.Run(async () => { for (var i = 0; i < total / 2; i += 100) { await first.WriteAsync(run, i, 100); } }),
            Task.Run(async () => { for (var i = total / 2; i < total; i += 100) { await second.WriteAsync(run, i, 100); } }));
        var written = clock.Elapsed;

        await Eventually.HoldsAsync(async () => (await consumer.EffectsBySequenceAsync(run.RunId)).Count == total, TimeSpan.FromMinutes(4),
            $"all {total} messages to take effect");
        var elapsed = clock.Elapsed;

        var effects = await consumer.EffectsBySequenceAsync(run.RunId);
        Assert.Equal(total, effects.Count);
        Assert.All(effects.Values, count => Assert.Equal(1, count));
        Assert.Equal(0, await CountUnsentAsync(producerDb));
        Assert.True(first.Publishes.Count > 0 && second.Publishes.Count > 0,
            $"both dispatchers should share the work (first {first.Publishes.Count}, second {second.Publishes.Count})");
        output.WriteLine($"{total} messages: written in {written.TotalSeconds:0.0}s, all effects in {elapsed.TotalSeconds:0.0}s " +
                         $"({total / elapsed.TotalSeconds:0} msg/s); dispatcher A published {first.Publishes.Count}, B {second.Publishes.Count}");
    }

    /// <summary>
    /// MassTransit creates the error queue with the first fault; asking a queue that does not exist yet closes the
    /// channel, so each attempt gets a channel of its own.
    /// </summary>

    private static async Task<long> CountUnsentAsync(string connectionString)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        return await connection.ExecuteScalarAsync<long>("select count(*) from outbox_messages where sent_at is null");
    }
}

[CollectionDefinition(nameof(MessagingCollection), DisableParallelization = true)]
public sealed class MessagingCollection;
