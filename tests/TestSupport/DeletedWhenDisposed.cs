namespace TrainingPlatform.TestSupport;

/// <summary>A benchmark's scratch folder (gigabytes of server data), removed when the run ends, even on a failure.</summary>
public sealed class DeletedWhenDisposed(string directory) : IDisposable
{
    public void Dispose() => Directory.Delete(directory, recursive: true);
}
