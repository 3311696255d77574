namespace TrainingPlatform.LocalServers;

public sealed record LocalRabbitMqOptions
{
    /// <summary>Folder for config, credentials, mnesia and logs; null = a new temp folder deleted on dispose.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>AMQP port on 127.0.0.1; 0 = pick a free one.</summary>
    public int AmqpPort { get; init; }

    /// <summary>Erlang distribution port (used by rabbitmqctl); 0 = pick a free one.</summary>
    public int DistPort { get; init; }

    /// <summary>Port of our private epmd; 0 = pick a free one.</summary>
    public int EpmdPort { get; init; }

    /// <summary>
    /// Erlang node name without the host; null = <c>tp&lt;amqp port&gt;</c>, unique per instance.
    /// Give a fixed name to keep broker state across runs: RabbitMQ stores it per node name.
    /// </summary>
    public string? NodeName { get; init; }

    /// <summary>Log prefix.</summary>
    public string Name { get; init; } = "rabbitmq";

    /// <summary>Folder with rabbitmq-server; null = /usr/lib/rabbitmq/bin (Debian's rabbitmq-server package).</summary>
    public string? BinDirectory { get; init; }

    /// <summary>Management plugin (HTTP API and UI) on this port of 127.0.0.1; 0 = no management plugin.</summary>
    public int ManagementPort { get; init; }

    /// <summary>The cluster this node belongs to; null = a node of its own.</summary>
    public RabbitMqClusterMembership? Cluster { get; init; }

    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(90);

    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(20);
}

/// <summary>
/// The nodes of one cluster (full names, e.g. <c>rabbit-1@localhost</c>) and the Erlang cookie they share, which lets
/// them (and rabbitmqctl) talk to each other. The nodes must also share one epmd and one set of credentials.
/// </summary>
public sealed record RabbitMqClusterMembership(IReadOnlyList<string> Nodes, string ErlangCookie)
{
    /// <summary>
    /// The node started before the others (the first listed): on a restart it boots without waiting for its peers,
    /// which are started after it one at a time.
    /// </summary>
    public string BootsFirst => Nodes[0];
}
