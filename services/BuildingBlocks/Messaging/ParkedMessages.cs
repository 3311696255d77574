using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace TrainingPlatform.BuildingBlocks.Messaging;

/// <summary>One message in an error queue, and why it is there (MassTransit's fault headers).</summary>
public sealed record ParkedMessage(string? MessageId, string? MessageType, string? Reason, string? ExceptionType, DateTimeOffset? FaultedAt);

/// <summary>A receive queue of the service, how many of its messages are parked and the first of them.</summary>
public sealed record ParkedQueue(string Queue, long Count, IReadOnlyList<ParkedMessage> Messages);

/// <summary>What a re-drive did: how many messages went back to <see cref="Queue"/>, and which asked-for ids were not parked.</summary>
public sealed record RedriveOutcome(string Queue, int Moved, IReadOnlyList<string> NotFound);

/// <summary>
/// The receive queues of this service, as MassTransit named them when it configured the endpoints (the service's
/// prefix included), so the operator's endpoints only ever touch this service's own error queues.
/// </summary>
public sealed class ServiceQueues
{
    private readonly ConcurrentDictionary<string, byte> _names = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Names => _names.Keys.Order(StringComparer.Ordinal).ToList();

    public bool Contains(string queue) => _names.ContainsKey(queue);

    internal void Add(string queue) => _names.TryAdd(queue, 0);
}

/// <summary>
/// What a consumer refused for a reason of its own sits in its queue's <c>_error</c> queue (MassTransit's error
/// transport) until someone acts. This shows an operator what is parked and why, and moves messages back to their
/// queue once the cause (a missing record, a bug) is fixed. The consumers are idempotent (the inbox), so a message
/// that had in fact been applied has no second effect when it comes back.
/// <para>
/// Nothing is ever lost: a message is taken from the error queue unacknowledged, published to its queue with a
/// publisher confirm, and only then acknowledged. If the broker or this process fails in between, the message is
/// at worst in both queues, and the inbox absorbs the second copy.
/// </para>
/// </summary>
public sealed partial class ParkedMessages(ServiceQueues queues, BrokerAddress broker, BrokerCluster cluster, IBus bus, ILogger<ParkedMessages> logger)
{
    /// <summary>MassTransit's error queue for <paramref name="queue"/>.</summary>
    public static string ErrorQueueOf(string queue) => queue + "_error";

    /// <summary>Headers MassTransit adds when it parks a message; a re-driven message is as it was first sent.</summary>
    private static bool IsFaultHeader(string key) =>
        key.StartsWith("MT-Fault-", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("MT-Host-", StringComparison.OrdinalIgnoreCase)
        || string.Equals(key, MessageHeaders.Reason, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// This service's receive queues. They are recorded while MassTransit configures the bus, which resolving
    /// <c>bus</c> (a dependency for that reason alone) has made sure of before the first request.
    /// </summary>
    public IReadOnlyList<string> Queues
    {
        get
        {
            _ = bus;
            return queues.Names;
        }
    }

    public bool Owns(string queue) => Queues.Contains(queue, StringComparer.Ordinal);

    /// <summary>
    /// Each receive queue with the number of messages parked in its error queue and the first <paramref name="limit"/>
    /// of them. Reading a message takes it unacknowledged; all go back in their order when the channel closes, so a
    /// re-drive running at the same moment may skip those being read (they stay parked, nothing is lost).
    /// </summary>
    public async Task<IReadOnlyList<ParkedQueue>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        var result = new List<ParkedQueue>();
        foreach (var queue in Queues)
        {
            // A passive declare of a queue that does not exist closes the channel: one channel per queue.
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            if (await CountAsync(channel, ErrorQueueOf(queue), cancellationToken) is not { } count)
            {
                result.Add(new ParkedQueue(queue, 0, []));
                continue;
            }
            var messages = new List<ParkedMessage>();
            ulong lastTag = 0;
            while (messages.Count < Math.Min(count, limit)
                   && await channel.BasicGetAsync(ErrorQueueOf(queue), autoAck: false, cancellationToken) is { } parked)
            {
                lastTag = parked.DeliveryTag;
                messages.Add(Describe(parked));
            }
            if (lastTag > 0)
            {
                await channel.BasicNackAsync(lastTag, multiple: true, requeue: true, cancellationToken);
            }
            result.Add(new ParkedQueue(queue, count, messages));
        }
        return result;
    }

    /// <summary>
    /// Moves the messages parked in <paramref name="queue"/>'s error queue back to <paramref name="queue"/>: all of them,
    /// or those whose message id is in <paramref name="messageIds"/> (every copy of each). Only the messages parked when
    /// it starts are looked at, so one that fails again at once and is parked anew is not taken round in a loop.
    /// </summary>
    public async Task<RedriveOutcome> RedriveAsync(string queue, IReadOnlyCollection<Guid>? messageIds, CancellationToken cancellationToken)
    {
        if (!Owns(queue))
        {
            throw new ArgumentException($"'{queue}' is not a receive queue of this service", nameof(queue));
        }
        var wanted = messageIds?.ToHashSet();
        var found = new HashSet<Guid>();
        var errorQueue = ErrorQueueOf(queue);

        await using var connection = await ConnectAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        if (await CountAsync(channel, errorQueue, cancellationToken) is not { } count)
        {
            return new RedriveOutcome(queue, 0, wanted?.Select(id => id.ToString()).ToList() ?? []);
        }

        var moved = 0;
        var kept = new List<ulong>();
        try
        {
            for (long i = 0; i < count; i++)
            {
                if (await channel.BasicGetAsync(errorQueue, autoAck: false, cancellationToken) is not { } parked)
                {
                    break;
                }
                var id = Guid.TryParse(MessageIdOf(parked), out var parsed) ? parsed : (Guid?)null;
                if (wanted is not null && (id is not { } messageId || !wanted.Contains(messageId)))
                {
                    // Held unacknowledged until the end, so the next get moves on instead of returning it again.
                    kept.Add(parked.DeliveryTag);
                    continue;
                }
                var properties = new BasicProperties(parked.BasicProperties)
                {
                    Headers = parked.BasicProperties.Headers?
                        .Where(h => !IsFaultHeader(h.Key))
                        .ToDictionary(h => h.Key, h => h.Value),
                };
                // The default exchange routes to the queue of that name; mandatory and the confirm make the broker
                // say it has the message (or throw), and only then is the parked copy let go.
                await channel.BasicPublishAsync(exchange: "", routingKey: queue, mandatory: true, properties, parked.Body.ToArray(),
                    cancellationToken);
                await channel.BasicAckAsync(parked.DeliveryTag, multiple: false, cancellationToken);
                moved++;
                if (id is { } movedId)
                {
                    found.Add(movedId);
                }
            }
        }
        finally
        {
            // On the way out in order, so the parked ones keep their places; if the channel is already gone the
            // broker returns them itself.
            if (channel.IsOpen)
            {
                foreach (var tag in kept)
                {
                    await channel.BasicNackAsync(tag, multiple: false, requeue: true, CancellationToken.None);
                }
            }
            if (moved > 0)
            {
                LogRedriven(logger, moved, errorQueue, queue);
            }
        }
        return new RedriveOutcome(queue, moved, wanted?.Except(found).Select(id => id.ToString()).ToList() ?? []);
    }

    private async Task<IConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory
        {
            HostName = broker.Host,
            Port = broker.Port,
            VirtualHost = broker.VirtualHost,
            UserName = broker.Username,
            Password = broker.Password,
            // Short-lived and asked for by a person: fail the request rather than reconnect behind it.
            AutomaticRecoveryEnabled = false,
            TopologyRecoveryEnabled = false,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(10),
        };
        // In a cluster, the first node that answers (the queues are reachable from every node).
        return cluster.Nodes.Count == 0
            ? await factory.CreateConnectionAsync("parked-messages", cancellationToken)
            : await factory.CreateConnectionAsync(cluster.Nodes.Select(AmqpTcpEndpoint.Parse).ToList(), "parked-messages", cancellationToken);
    }

    /// <summary>Ready messages in <paramref name="errorQueue"/>, or null if it does not exist (MassTransit creates it with the first fault).</summary>
    private static async Task<long?> CountAsync(IChannel channel, string errorQueue, CancellationToken cancellationToken)
    {
        try
        {
            return (await channel.QueueDeclarePassiveAsync(errorQueue, cancellationToken)).MessageCount;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return null;
        }
    }

    private static ParkedMessage Describe(BasicGetResult parked)
    {
        var headers = parked.BasicProperties.Headers;
        var envelope = Envelope.Read(parked);
        return new ParkedMessage(
            MessageIdOf(parked),
            ShortTypeName(Header(headers, MessageHeaders.FaultMessageType) ?? envelope.MessageType),
            Header(headers, MessageHeaders.FaultMessage),
            Header(headers, MessageHeaders.FaultExceptionType),
            DateTimeOffset.TryParse(Header(headers, MessageHeaders.FaultTimestamp), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out var at) ? at : null);
    }

    /// <summary>The contract's name (<c>CourseCompleted</c>): the namespace or URN says nothing more to an operator.</summary>
    private static string? ShortTypeName(string? type) =>
        type is null || type.Contains('[') ? type : type[(type.LastIndexOfAny([':', '.']) + 1)..];

    private static string? MessageIdOf(BasicGetResult parked) =>
        parked.BasicProperties.MessageId is { Length: > 0 } id ? id : Envelope.Read(parked).MessageId;

    /// <summary>RabbitMQ hands header strings over as bytes.</summary>
    private static string? Header(IDictionary<string, object?>? headers, string key) =>
        headers is null || !headers.TryGetValue(key, out var value) ? null : value switch
        {
            null => null,
            byte[] bytes => Encoding.UTF8.GetString(bytes),
            AmqpTimestamp timestamp => DateTimeOffset.FromUnixTimeSeconds(timestamp.UnixTime).ToString("O"),
            _ => Convert.ToString(value, CultureInfo.InvariantCulture),
        };

    /// <summary>The id and type as MassTransit's JSON envelope carries them, for messages whose properties lack them.</summary>
    private readonly record struct Envelope(string? MessageId, string? MessageType)
    {
        public static Envelope Read(BasicGetResult parked)
        {
            try
            {
                using var json = JsonDocument.Parse(parked.Body);
                var root = json.RootElement;
                return new Envelope(
                    root.TryGetProperty("messageId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null,
                    root.TryGetProperty("messageType", out var types) && types.ValueKind == JsonValueKind.Array && types.GetArrayLength() > 0
                        ? types[0].GetString()
                        : null);
            }
            catch (JsonException)
            {
                return default;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Re-drove {Moved} messages from {ErrorQueue} to {Queue}")]
    private static partial void LogRedriven(ILogger logger, int moved, string errorQueue, string queue);
}
