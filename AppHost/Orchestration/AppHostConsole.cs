using TrainingPlatform.AppHost.Infrastructure;

namespace TrainingPlatform.AppHost.Orchestration;

/// <summary>The orchestrator's own messages, in the same prefixed stream as the children's output.</summary>
internal sealed class AppHostConsole(ConsoleLogSink sink)
{
    private const string Source = "apphost";

    public ConsoleLogSink Sink => sink;

    public void Info(string message) => WriteLines(message, ConsoleHighlight.Info);

    public void Success(string message) => WriteLines(message, ConsoleHighlight.Success);

    public void Warn(string message) => WriteLines(message, ConsoleHighlight.Warning);

    public void Error(string message) => WriteLines(message, ConsoleHighlight.Error);

    /// <summary>Framed so it stands out in a scrolling log.</summary>
    public void Banner(ConsoleHighlight highlight, params string[] lines)
    {
        var rule = new string('═', Math.Max(40, lines.Max(l => l.Length) + 2));
        sink.WriteHighlighted(Source, rule, highlight);
        foreach (var line in lines)
        {
            sink.WriteHighlighted(Source, " " + line, highlight);
        }

        sink.WriteHighlighted(Source, rule, highlight);
    }

    private void WriteLines(string message, ConsoleHighlight highlight)
    {
        foreach (var line in message.Split('\n'))
        {
            sink.WriteHighlighted(Source, line.TrimEnd('\r'), highlight);
        }
    }
}
