namespace TrainingPlatform.LocalServers;

/// <summary>Keeps the tail of a process's output so failures can show what the process said last.</summary>
internal sealed class RecentLines(int capacity)
{
    private readonly Queue<string> _lines = new(capacity);
    private readonly Lock _lock = new();

    public void Add(string line)
    {
        lock (_lock)
        {
            if (_lines.Count == capacity)
            {
                _lines.Dequeue();
            }

            _lines.Enqueue(line);
        }
    }

    public IReadOnlyList<string> Last(int count)
    {
        lock (_lock)
        {
            return _lines.Skip(Math.Max(0, _lines.Count - count)).ToArray();
        }
    }
}
