using System.Diagnostics;
using System.Text.Json;
using Dapper;
using Npgsql;

namespace TrainingPlatform.BuildingBlocks.Messaging;

/// <summary>Writes outgoing messages into the outbox table inside the caller's transaction.</summary>
internal static class OutboxWriter
{
    public const string NotifyChannel = "outbox_messages";

    private const string InsertSql = """
        insert into outbox_messages (message_id, message_type, body, trace_parent, trace_state)
        values (@MessageId, @MessageType, @Body::jsonb, @TraceParent, @TraceState)
        """;

    public static Task AddAsync<TMessage>(NpgsqlConnection connection, NpgsqlTransaction transaction, TMessage message,
        CancellationToken cancellationToken) where TMessage : class
    {
        var activity = Activity.Current;
        var row = new
        {
            MessageId = NewId(),
            MessageType = MessageTypes.NameOf(message.GetType()),
            Body = JsonSerializer.Serialize(message, message.GetType(), MessageTypes.JsonOptions),
            TraceParent = activity?.Id,
            TraceState = activity?.TraceStateString,
        };
        return connection.ExecuteAsync(new CommandDefinition(InsertSql, row, transaction, cancellationToken: cancellationToken));
    }

    public static Task NotifyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition($"select pg_notify('{NotifyChannel}', '')", transaction: transaction,
            cancellationToken: cancellationToken));

    // Time-ordered ids keep the unique index on message_id append-mostly.
    private static Guid NewId() => Guid.CreateVersion7();
}
