using System.Collections.Concurrent;
using System.Text.Json;

namespace TrainingPlatform.BuildingBlocks.Messaging;

/// <summary>How a message's CLR type is named in the outbox table and found again by the dispatcher.</summary>
public static class MessageTypes
{
    private static readonly ConcurrentDictionary<string, Type> Resolved = new(StringComparer.Ordinal);

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>"Namespace.Type, Assembly": stable across versions of the contracts assembly.</summary>
    public static string NameOf(Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";

    public static Type Resolve(string name) => Resolved.GetOrAdd(name, static n =>
        Type.GetType(n, throwOnError: false)
        ?? throw new InvalidOperationException($"Outbox message type '{n}' is not known to this service."));
}
