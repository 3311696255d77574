using System.Collections.Concurrent;
using Dapper;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RabbitMQ.Client;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.TestSupport;

namespace TrainingPlatform.BuildingBlocks.Tests;

public sealed record TestMessage(Guid RunId, int Sequence, bool Poison = false);

public sealed record TestRun(Guid RunId);

/// <summary>The effect under test: one row in test_effects per handled message.</summary>
public sealed class TestConsumer(NpgsqlDataSource db, TestRun run) : IdempotentConsumer<TestMessage>(db)
{
    protected override async Task HandleAsync(TestMessage message, UnitOfWork unitOfWork, CancellationToken cancellationToken)
    {
        // Every test host's queue is bound to TestMessage; only this run's messages count here.
        if (message.RunId != run.RunId)
        {
            return;
        }
        // A poison message refers to data that is not there, until a test adds it (test_cures).
        if (message.Poison && await unitOfWork.Connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "select count(*) from test_cures where run_id = @RunId and sequence = @Sequence", message, unitOfWork.Transaction,
                cancellationToken: cancellationToken)) == 0)
        {
            throw new PermanentMessageFailure($"poison message {message.Sequence}");
        }
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
            "insert into test_effects (message_id, run_id, sequence) values (@MessageId, @RunId, @Sequence)",
            new { MessageId = Guid.NewGuid(), message.RunId, message.Sequence }, unitOfWork.Transaction, cancellationToken: cancellationToken));
    }
}

public sealed record BatchedTestMessage(Guid RunId, int Sequence, bool Poison = false);

/// <summary>The batched effect under test: one row in test_effects per handled message, the batch in one statement.</summary>
public sealed class TestBatcher(NpgsqlDataSource db, TestRun run, ILogger<TestBatcher> logger) : InboxBatcher<BatchedTestMessage>(db, logger)
{
    /// <summary>How many new messages each committed-or-failed batch held, in order.</summary>
    public ConcurrentQueue<int> BatchSizes { get; } = new();

    /// <summary>The largest batch a poison message was in.</summary>
    public int LargestPoisonedBatch { get; private set; }

    protected override Task HandleAsync(IReadOnlyList<Inbound<BatchedTestMessage>> messages, UnitOfWork unitOfWork, CancellationToken cancellationToken)
    {
        BatchSizes.Enqueue(messages.Count);
        var ours = messages.Where(m => m.Message.RunId == run.RunId).ToList();
        if (ours.FirstOrDefault(m => m.Message.Poison) is { } poison)
        {
            LargestPoisonedBatch = Math.Max(LargestPoisonedBatch, messages.Count);
            throw new PermanentMessageFailure($"poison message {poison.Message.Sequence}");
        }
        return unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into test_effects (message_id, run_id, sequence) select gen_random_uuid(), @RunId, unnest(@Sequences)
            """, new { run.RunId, Sequences = ours.Select(m => m.Message.Sequence).ToArray() }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));
    }
}

public sealed class BatchedTestConsumer(InboxBatcher<BatchedTestMessage> batcher) : BatchedConsumer<BatchedTestMessage>(batcher);

public sealed class BatchedTestConsumerDefinition : BatchedConsumerDefinition<BatchedTestConsumer>;

/// <summary>A service-shaped host: its own database, the building blocks' messaging, optionally the test consumer.</summary>
public sealed class MessagingHost : IAsyncDisposable
{
    private readonly IHost _host;

    private MessagingHost(IHost host, string serviceName)
    {
        _host = host;
        ServiceName = serviceName;
        Bus = host.Services.GetRequiredService<IBus>();
        Database = host.Services.GetRequiredService<NpgsqlDataSource>();
        Bus.ConnectConsumeObserver(Deliveries);
        Bus.ConnectPublishObserver(Publishes);
    }

    public string ServiceName { get; }
    public IBus Bus { get; }
    public NpgsqlDataSource Database { get; }
    public DeliveryCounter Deliveries { get; } = new();
    public TestBatcher Batcher => _host.Services.GetRequiredService<TestBatcher>();
    public ParkedMessages Parked => _host.Services.GetRequiredService<ParkedMessages>();
    public PublishCounter Publishes { get; } = new();

    /// <summary>The queue the test consumer reads, as MassTransit names it for this service.</summary>
    public string ConsumerQueue => new KebabCaseEndpointNameFormatter(ServiceName, includeNamespace: false).Consumer<TestConsumer>();

    /// <summary>The queue the batched test consumer reads.</summary>
    public string BatchedQueue => new KebabCaseEndpointNameFormatter(ServiceName, includeNamespace: false).Consumer<BatchedTestConsumer>();

    public static async Task<MessagingHost> StartAsync(TestServers servers, string connectionString, TestRun run,
        bool withConsumer, Action<OutboxOptions>? outbox = null, string? serviceName = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:testdb"] = connectionString,
            ["ConnectionStrings:messaging"] = servers.Messaging,
        });
        builder.Services.AddSingleton(run);
        builder.Services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);

        serviceName ??= $"bbt-{Guid.NewGuid():N}"[..12];
        builder.AddServiceDatabase("testdb", typeof(MessagingHost).Assembly);
        builder.AddServiceMessaging(serviceName, withConsumer ? typeof(TestConsumer).Assembly : typeof(OutboxOptions).Assembly);
        if (withConsumer)
        {
            builder.Services.AddInboxBatcher<BatchedTestMessage, TestBatcher>();
        }
        builder.Services.PostConfigure<OutboxOptions>(o =>
        {
            o.PollInterval = TimeSpan.FromMilliseconds(250);
            outbox?.Invoke(o);
        });

        var host = builder.Build();
        await host.StartAsync();
        return new MessagingHost(host, serviceName);
    }

    /// <summary>Writes messages to the outbox the way a handler does: in one transaction that commits.</summary>
    public async Task<IReadOnlyList<TestMessage>> WriteAsync(TestRun run, int from, int count, bool commit = true)
    {
        var messages = Enumerable.Range(from, count).Select(i => new TestMessage(run.RunId, i)).ToList();
        await using var unitOfWork = await UnitOfWork.BeginAsync(Database, CancellationToken.None);
        foreach (var message in messages)
        {
            await unitOfWork.PublishAsync(message, CancellationToken.None);
        }
        if (commit)
        {
            await unitOfWork.CommitAsync(CancellationToken.None);
        }
        return messages;
    }

    public async Task<IReadOnlyDictionary<int, int>> EffectsBySequenceAsync(Guid runId)
    {
        await using var connection = await Database.OpenConnectionAsync();
        var rows = await connection.QueryAsync<(int Sequence, long Count)>(
            "select sequence, count(*) from test_effects where run_id = @runId group by sequence", new { runId });
        return rows.ToDictionary(r => r.Sequence, r => (int)r.Count);
    }

    /// <summary>Adds the data poison message <paramref name="sequence"/> lacked.</summary>
    public async Task CureAsync(Guid runId, int sequence)
    {
        await using var connection = await Database.OpenConnectionAsync();
        await connection.ExecuteAsync("insert into test_cures (run_id, sequence) values (@runId, @sequence)", new { runId, sequence });
    }

    public async Task<long> CountAsync(string sql)
    {
        await using var connection = await Database.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(sql);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            _host.Dispose();
        }
    }
}

public sealed class DeliveryCounter : IConsumeObserver
{
    public ConcurrentDictionary<Guid, int> ByMessageId { get; } = new();

    public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

    // Counted once the consumer has finished (its transaction committed or found a duplicate).
    public Task PostConsume<T>(ConsumeContext<T> context) where T : class
    {
        if (context.MessageId is { } id)
        {
            ByMessageId.AddOrUpdate(id, 1, (_, n) => n + 1);
        }
        return Task.CompletedTask;
    }
    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Task.CompletedTask;
}

public sealed class PublishCounter : IPublishObserver
{
    private int _count;
    public int Count => Volatile.Read(ref _count);

    public Task PrePublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

    public Task PostPublish<T>(PublishContext<T> context) where T : class
    {
        Interlocked.Increment(ref _count);
        return Task.CompletedTask;
    }

    public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Task.CompletedTask;
}

/// <summary>Reads what MassTransit moved to a queue's <c>_error</c> queue.</summary>
public static class ErrorQueue
{
    /// <summary>Takes the next faulted message and returns its reason (<c>MT-Fault-Message</c>), or null when there is none.</summary>
    public static async Task<string?> TakeReasonAsync(IConnection connection, string queue)
    {
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            var faulted = await channel.BasicGetAsync(queue + "_error", autoAck: true);
            return faulted?.BasicProperties.Headers?["MT-Fault-Message"] switch
            {
                null => faulted is null ? null : "",
                byte[] bytes => System.Text.Encoding.UTF8.GetString(bytes),
                var other => other.ToString(),
            };
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return null; // not declared yet
        }
    }
}
