using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using TrainingPlatform.LocalServers;

namespace TrainingPlatform.AppHost.LocalServers;

/// <summary>
/// Debian's RabbitMQ as an Aspire resource: DCP runs the broker (as the rabbitmq user when we are root) on 127.0.0.1
/// with its data under the data folder; references to it get its AMQP URI, as from Aspire's container-based
/// <c>AddRabbitMQ</c>.
/// </summary>
public sealed class LocalRabbitMqResource(string name, string command, string workingDirectory, int port, string user, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public int Port { get; } = port;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"amqp://{user}:{password}@127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");
}

public static class LocalRabbitMqExtensions
{
    /// <summary>
    /// The broker: the one in <c>ConnectionStrings:messaging</c> when the operator gave one, otherwise our own in
    /// <paramref name="dataDirectory"/>. Erlang would start a shared, daemonised epmd that outlives everything; the
    /// broker gets its own epmd as a resource on a private port instead, so stopping the platform leaves no process
    /// behind.
    /// </summary>
    public static async Task<IResourceBuilder<IResourceWithConnectionString>> AddMessageBrokerAsync(
        this IDistributedApplicationBuilder builder, string name, string dataDirectory)
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name)))
        {
            return builder.AddConnectionString(name);
        }

        var free = FreePort.Allocate(3);
        var ports = new RabbitMqPorts(Amqp: free[0], Distribution: free[1], Epmd: free[2]);
        // A fixed node name: RabbitMQ keeps its state per node name, and the ports change from run to run.
        var launch = await LocalRabbitMq.PrepareAsync(dataDirectory, ports,
            new LocalRabbitMqOptions { Name = name, NodeName = "trainingplatform" }, ConsoleLogSink.Shared, CancellationToken.None);
        var password = builder.AddParameter($"{name}-password", launch.Password, secret: true);

        var epmdProgram = LaunchCommand.AsUser(launch.Epmd, launch.RunAsUser, StopSignal.Terminate);
        var epmd = builder
            .AddServerProgram(new ExecutableResource($"{name}-epmd", epmdProgram.Program, dataDirectory), epmdProgram, ports.Epmd)
            .WithProbe($"{name}-epmd-answers", async cancellationToken => Answered(await EpmdProbe.AnswersAsync(ports.Epmd, cancellationToken)));

        var brokerProgram = LaunchCommand.AsUser(launch.Server, launch.RunAsUser, StopSignal.Terminate);
        var broker = new LocalRabbitMqResource(name, brokerProgram.Program, dataDirectory, ports.Amqp, launch.User, password.Resource);
        return builder
            .AddServerProgram(broker, brokerProgram, ports.Amqp)
            .WithProbe($"{name}-accepts-connections", async cancellationToken => Answered(await TcpProbe.CanConnectAsync(ports.Amqp, cancellationToken)))
            // epmd must answer before the broker starts, or Erlang would launch its own daemonised one.
            .WaitFor(epmd);
    }

    private static HealthCheckResult Answered(bool answered) =>
        answered ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("not answering yet");
}
