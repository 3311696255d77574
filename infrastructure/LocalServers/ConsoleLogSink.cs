using System.Collections.Concurrent;

namespace TrainingPlatform.LocalServers;

/// <summary>
/// Writes <c>[name] line</c> to stdout, one ANSI colour per source so interleaved logs stay readable.
/// Colour is dropped when stdout is not a terminal or NO_COLOR is set (https://no-color.org).
/// </summary>
public sealed class ConsoleLogSink : ILogSink
{
    private const string Reset = "\u001b[0m";

    // Bright, distinguishable on dark and light backgrounds; red is kept for errors.
    private static readonly string[] Palette =
        ["\u001b[36m", "\u001b[32m", "\u001b[33m", "\u001b[35m", "\u001b[34m",
         "\u001b[96m", "\u001b[92m", "\u001b[93m", "\u001b[95m", "\u001b[94m"];

    private readonly ConcurrentDictionary<string, string> _colours = new(StringComparer.Ordinal);
    private readonly Lock _writeLock = new();
    private int _prefixWidth;

    public static ConsoleLogSink Shared { get; } = new();

    public bool UseColour { get; } =
        !Console.IsOutputRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
        && Environment.GetEnvironmentVariable("TERM") != "dumb";

    public void WriteLine(string source, string line) => Write(source, line, colourOverride: null);

    /// <summary>For the orchestrator's own messages: the whole line in one colour (e.g. red for errors).</summary>
    public void WriteHighlighted(string source, string line, ConsoleHighlight highlight)
    {
        var colour = highlight switch
        {
            ConsoleHighlight.Error => "\u001b[1;91m",
            ConsoleHighlight.Success => "\u001b[1;92m",
            ConsoleHighlight.Warning => "\u001b[1;93m",
            _ => "\u001b[1m",
        };
        Write(source, line, colour);
    }

    private void Write(string source, string line, string? colourOverride)
    {
        var prefix = $"[{source}]";
        lock (_writeLock)
        {
            // Grow-only alignment: columns line up once every process has spoken.
            _prefixWidth = Math.Max(_prefixWidth, prefix.Length);
            var padded = prefix.PadRight(_prefixWidth);
            if (!UseColour)
            {
                Console.Out.WriteLine($"{padded} {line}");
                return;
            }

            var sourceColour = colourOverride ?? ColourFor(source);
            var body = colourOverride is null ? line : $"{colourOverride}{line}{Reset}";
            Console.Out.WriteLine($"{sourceColour}{padded}{Reset} {body}");
        }
    }

    private string ColourFor(string source) =>
        _colours.GetOrAdd(source, _ => Palette[(_colours.Count) % Palette.Length]);
}

public enum ConsoleHighlight
{
    Info,
    Success,
    Warning,
    Error,
}
