using System.Text.Json;

namespace TrainingPlatform.Contract.Tests;

/// <summary>
/// Values the service itself answered with (ids, codes, years), by member name, so later requests can name things
/// that exist: a path's <c>{id}</c> or a body's <c>teacherId</c> is sometimes a real one instead of a random uuid.
/// Kept in the order seen and capped, so a run stays the same for the same answers.
/// </summary>
public sealed class ValuePool
{
    private const int PerName = 12;
    private readonly Dictionary<string, List<string>> _strings = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<long>> _numbers = new(StringComparer.OrdinalIgnoreCase);

    public void Harvest(JsonElement element, int depth = 0)
    {
        if (depth > 6)
        {
            return;
        }
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var member in element.EnumerateObject())
                {
                    switch (member.Value.ValueKind)
                    {
                        case JsonValueKind.String when member.Value.GetString() is { Length: > 0 and <= 64 } text:
                            Add(_strings, member.Name, text);
                            break;
                        case JsonValueKind.Number when member.Value.TryGetInt64(out var number):
                            Add(_numbers, member.Name, number);
                            break;
                        default:
                            Harvest(member.Value, depth + 1);
                            break;
                    }
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray().Take(8))
                {
                    Harvest(item, depth + 1);
                }
                break;
        }
    }

    /// <summary>Strings seen under <paramref name="name"/> (for "teacherId", also under "id"), of the format asked for.</summary>
    public IReadOnlyList<string> Strings(string name, string? format)
    {
        if (name.Length == 0)
        {
            return [];
        }
        var found = Lookup(_strings, name);
        return format == "uuid" ? found.Where(s => Guid.TryParse(s, out _)).ToList() : found;
    }

    public IReadOnlyList<long> Numbers(string name) => name.Length == 0 ? [] : Lookup(_numbers, name);

    private static List<T> Lookup<T>(Dictionary<string, List<T>> values, string name)
    {
        var found = values.TryGetValue(name, out var exact) ? [.. exact] : new List<T>();
        if (name.Length > 2 && name.EndsWith("Id", StringComparison.Ordinal) && values.TryGetValue("id", out var ids))
        {
            found.AddRange(ids.Where(id => !found.Contains(id)));
        }
        return found;
    }

    public void Add(string name, string value) => Add(_strings, name, value);

    public void Add(string name, long value) => Add(_numbers, name, value);

    private static void Add<T>(Dictionary<string, List<T>> values, string name, T value)
    {
        if (!values.TryGetValue(name, out var list))
        {
            values[name] = list = [];
        }
        if (list.Count < PerName && !list.Contains(value))
        {
            list.Add(value);
        }
    }
}
