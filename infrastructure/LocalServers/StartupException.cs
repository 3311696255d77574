namespace TrainingPlatform.LocalServers;

/// <summary>
/// A failure the developer can fix from the message alone (missing package, port in use, service not healthy).
/// Entry points print only the message for these — a stack trace would hide the useful part.
/// </summary>
public sealed class StartupException : Exception
{
    public StartupException(string message) : base(message) { }

    public StartupException(string message, Exception innerException) : base(message, innerException) { }
}
