using MassTransit;
using Microsoft.Extensions.Configuration;

namespace TrainingPlatform.BuildingBlocks.Messaging;

/// <summary>
/// How a service rides out the loss of a broker node, from configuration, so the AppHost's cluster mode and the
/// Kubernetes manifests use the same settings: <c>Messaging:ClusterNodes</c> lists every node (<c>host:port</c>, comma
/// separated; the connection string still gives the credentials and virtual host), and <c>Messaging:QuorumQueues</c>
/// declares the service's receive queues as quorum queues, replicated to a majority of the nodes, so a message the broker
/// confirmed survives the node that took it.
/// </summary>
public sealed record BrokerCluster(IReadOnlyList<string> Nodes, bool QuorumQueues)
{
    public const string NodesKey = "Messaging:ClusterNodes";

    public const string QuorumQueuesKey = "Messaging:QuorumQueues";

    public static BrokerCluster From(IConfiguration configuration) => new(
        (configuration[NodesKey] ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        configuration.GetValue(QuorumQueuesKey, false));

    /// <summary>
    /// Every node to connect to (a lost connection moves to the next), and publisher confirms: a publish returns once
    /// the broker has the message (for a quorum queue, once a majority has it), so the outbox marks only what arrived.
    /// </summary>
    public void ConfigureHost(IRabbitMqHostConfigurator host)
    {
        host.PublisherConfirmation = true;
        if (Nodes.Count > 0)
        {
            host.UseCluster(cluster =>
            {
                foreach (var node in Nodes)
                {
                    cluster.Node(node);
                }
            });
        }
    }

    /// <summary>
    /// A queue's type is fixed when it is declared: a broker that already holds a classic queue of that name refuses to
    /// redeclare it as quorum, so switching an existing broker over means deleting the (drained) queues first.
    /// </summary>
    public void ConfigureEndpoint(IReceiveEndpointConfigurator endpoint)
    {
        if (QuorumQueues && endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.SetQuorumQueue();
        }
    }
}
