namespace TrainingPlatform.LocalServers;

/// <summary>A RabbitMQ broker — one we started or one we were given.</summary>
public interface IRabbitMqServer : IAsyncDisposable
{
    /// <summary>AMQP URI, <c>amqp://user:password@host:port/</c> (what Aspire hands to ConnectionStrings__messaging).</summary>
    string ConnectionString { get; }
}

/// <summary>A broker someone else runs (ConnectionStrings__messaging): nothing to start or stop.</summary>
public sealed class ExistingRabbitMq(string connectionString) : IRabbitMqServer
{
    public string ConnectionString { get; } = connectionString;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
