using System.Diagnostics.Metrics;
using MassTransit;

namespace TrainingPlatform.BuildingBlocks.Messaging;

/// <summary>
/// First filter of every receive endpoint's error pipe: a message whose retries ran out because a dependency was
/// down is not moved to the error queue. Rethrowing makes the transport nack it with requeue (RabbitMQ puts it back
/// in its place in the queue), or, when the kill switch is stopping the endpoint, leave it unacknowledged so it
/// returns when the channel closes. Any other failure goes on to the usual fault event and error queue.
/// </summary>
public sealed class RequeueDependencyFailuresFilter : IFilter<ExceptionReceiveContext>
{
    private static readonly Meter Meter = new("TrainingPlatform.Messaging");
    private static readonly Counter<long> Requeued = Meter.CreateCounter<long>("messaging.dependency_failures.requeued");

    public Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        if (DependencyFailure.Is(context.Exception))
        {
            Requeued.Add(1, new KeyValuePair<string, object?>("queue", context.InputAddress.AbsolutePath.TrimStart('/')));
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(context.Exception);
        }
        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("requeueDependencyFailures");
}
