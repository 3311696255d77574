using System.Diagnostics;
using MassTransit;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using TrainingPlatform.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace TrainingPlatform.BuildingBlocks.Tests;

/// <summary>
/// A consumer's database going away for longer than the in-process retry budget (about 11 s) must not park a single
/// message in an error queue: the consumer leaves its queue while the database is down and empties it once it is back,
/// each message with one effect. A poison message still goes to the error queue, after the outage, for its own reason.
/// </summary>
[Collection(nameof(MessagingCollection))]
public sealed class DependencyOutageTests(ITestOutputHelper output)
{
    private const int PerConsumer = 300;
    private const int BatchedSequences = 100_000;

    // Longer than the retry budget by three times, and than the kill switch's restart timeout (15 s), so a restart
    // also meets the database still down.
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(35);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_database_outage_longer_than_the_retry_budget_parks_nothing_and_every_message_takes_effect_once()
    {
        var servers = await TestServers.GetAsync();
        await using var postgres = await RestartablePostgres.StartAsync("outage-postgres");
        var run = new TestRun(Guid.NewGuid());
        await using var consumer = await MessagingHost.StartAsync(servers, await postgres.CreateDatabaseAsync("outage"), run, withConsumer: true);
        var factory = new ConnectionFactory { Uri = new Uri(servers.Messaging) };
        await using var broker = await factory.CreateConnectionAsync();

        var plain = await consumer.Bus.GetSendEndpoint(new Uri($"queue:{consumer.ConsumerQueue}"));
        var batched = await consumer.Bus.GetSendEndpoint(new Uri($"queue:{consumer.BatchedQueue}"));
        Task SendAsync(int from, int count) => Parallel.ForEachAsync(Enumerable.Range(from, count),
            new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, cancellationToken) =>
            {
                await plain.Send(new TestMessage(run.RunId, i), cancellationToken);
                await batched.Send(new BatchedTestMessage(run.RunId, BatchedSequences + i), cancellationToken);
            });

        // Half arrive while the database is up, and are being consumed when it goes; the rest, and one poison message
        // for each consumer, arrive while it is down.
        await SendAsync(0, PerConsumer / 2);
        await postgres.StopAsync();
        var down = Stopwatch.StartNew();
        await SendAsync(PerConsumer / 2, PerConsumer / 2);
        await plain.Send(new TestMessage(run.RunId, -1, Poison: true));
        await batched.Send(new BatchedTestMessage(run.RunId, -2, Poison: true));

        // The outage itself is the point of the test, so it lasts at least three retry budgets, and on until the kill
        // switch has taken each consumer off its queue (a loaded machine retries more slowly); meanwhile nothing may be
        // parked.
        var leftQueue = new HashSet<string>();
        while (down.Elapsed < Outage || (leftQueue.Count < 2 && down.Elapsed < Patience))
        {
            foreach (var queue in new[] { consumer.ConsumerQueue, consumer.BatchedQueue })
            {
                Assert.Equal(0u, await MessageCountAsync(broker, queue + "_error"));
                if (await ConsumerCountAsync(broker, queue) == 0 && leftQueue.Add(queue))
                {
                    output.WriteLine($"{queue}: no consumer {down.Elapsed.TotalSeconds:0.0} s into the outage");
                }
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
        Assert.Contains(consumer.ConsumerQueue, leftQueue);
        Assert.Contains(consumer.BatchedQueue, leftQueue);

        await postgres.StartAgainAsync();
        var back = Stopwatch.StartNew();
        await Eventually.HoldsAsync(async () => (await consumer.EffectsBySequenceAsync(run.RunId)).Count == 2 * PerConsumer, Patience,
            "every message sent before and during the outage to take effect once the database is back");
        output.WriteLine($"all {2 * PerConsumer} applied {back.Elapsed.TotalSeconds:0.0} s after the database came back");

        // The poison messages are refused for their own reason once they can be read; nothing else is parked.
        foreach (var (queue, poison) in new[] { (consumer.ConsumerQueue, -1), (consumer.BatchedQueue, -2) })
        {
            string? reason = null;
            await Eventually.HoldsAsync(async () => (reason = await ErrorQueue.TakeReasonAsync(broker, queue)) is not null, Patience,
                $"the poison message to reach {queue}_error");
            Assert.Equal($"poison message {poison}", reason);
            Assert.Equal(0u, await MessageCountAsync(broker, queue + "_error"));
        }

        await Eventually.HoldsAsync(async () => await MessageCountAsync(broker, consumer.ConsumerQueue) == 0
                && await MessageCountAsync(broker, consumer.BatchedQueue) == 0, Patience, "both queues to be empty");
        var effects = await consumer.EffectsBySequenceAsync(run.RunId);
        Assert.Equal(2 * PerConsumer, effects.Count);
        Assert.All(effects, effect => Assert.Equal(1, effect.Value));
        Assert.Equal(Enumerable.Range(0, PerConsumer).Concat(Enumerable.Range(BatchedSequences, PerConsumer)), effects.Keys.Order());
    }

    /// <summary>Ready messages in a queue; 0 for a queue not declared yet.</summary>
    private static async Task<uint> MessageCountAsync(IConnection broker, string queue) => (await DeclarePassiveAsync(broker, queue))?.MessageCount ?? 0;

    private static async Task<uint> ConsumerCountAsync(IConnection broker, string queue) => (await DeclarePassiveAsync(broker, queue))?.ConsumerCount ?? 0;

    private static async Task<QueueDeclareOk?> DeclarePassiveAsync(IConnection broker, string queue)
    {
        // A passive declare of a missing queue closes its channel: one channel per question.
        await using var channel = await broker.CreateChannelAsync();
        try
        {
            return await channel.QueueDeclarePassiveAsync(queue);
        }
        catch (OperationInterruptedException)
        {
            return null;
        }
    }
}
