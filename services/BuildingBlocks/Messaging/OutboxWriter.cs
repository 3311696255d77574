using System.Diagnostics;
using System.Text.Json;
using Dapper;
using Npgsql;

namespace TrainingPlatform.BuildingBlocks.Messaging;

/// <summary>Writes outgoing messages into the outbox table inside the caller's transaction.</summary>
internal static class OutboxWriter
{
    /// <summary>Adds <paramref name="messages"/>, each with the trace it belongs to, in one statement.</summary>
    public static Task AddAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        IReadOnlyList<(object Message, ActivityContext Trace)> messages, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into outbox_messages (message_id, message_type, body, trace_parent, trace_state)
            select id, type, body::jsonb, parent, state
            from unnest(@Ids, @Types, @Bodies, @Parents, @States) as m (id, type, body, parent, state)
            """, new
        {
            Ids = messages.Select(_ => NewId()).ToArray(),
            Types = messages.Select(m => MessageTypes.NameOf(m.Message.GetType())).ToArray(),
            Bodies = messages.Select(m => JsonSerializer.Serialize(m.Message, m.Message.GetType(), MessageTypes.JsonOptions)).ToArray(),
            Parents = messages.Select(m => TraceParentOf(m.Trace)).ToArray(),
            States = messages.Select(m => m.Trace == default ? null : m.Trace.TraceState).ToArray(),
        }, transaction, cancellationToken: cancellationToken));

    /// <summary>The W3C <c>traceparent</c> of <paramref name="trace"/>, as <see cref="Activity.Id"/> gives it for the current one.</summary>
    private static string? TraceParentOf(ActivityContext trace) =>
        trace == default ? null : $"00-{trace.TraceId.ToHexString()}-{trace.SpanId.ToHexString()}-{(trace.TraceFlags.HasFlag(ActivityTraceFlags.Recorded) ? "01" : "00")}";

    // Time-ordered ids keep the unique index on message_id append-mostly.
    private static Guid NewId() => Guid.CreateVersion7();
}
