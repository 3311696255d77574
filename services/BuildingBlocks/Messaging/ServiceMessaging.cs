using System.Reflection;
using MassTransit;
using MassTransit.Middleware;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace TrainingPlatform.BuildingBlocks.Messaging;

public static class ServiceMessaging
{
    /// <summary>The broker's connection string name, <c>ConnectionStrings:messaging</c> (an AMQP URI).</summary>
    public const string ConnectionName = "messaging";

    /// <summary>
    /// MassTransit over RabbitMQ with the service's consumers (every <see cref="IConsumer"/> in
    /// <paramref name="consumersAssembly"/>), retries for transient faults, and the outbox dispatcher.
    /// Queues are named after the service ("catalog-teacher-registered"), so the replicas of one service compete
    /// for its messages while every service gets its own copy.
    /// </summary>
    public static TBuilder AddServiceMessaging<TBuilder>(this TBuilder builder, string serviceName, Assembly consumersAssembly,
        Action<IBusRegistrationConfigurator>? configure = null) where TBuilder : IHostApplicationBuilder
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"Missing connection string 'ConnectionStrings:{ConnectionName}' (env ConnectionStrings__{ConnectionName}): " +
                "an AMQP URI such as amqp://user:password@127.0.0.1:5672/. Start the platform through the AppHost, or set it.");
        }
        var broker = BrokerAddress.Parse(connectionString);
        var cluster = BrokerCluster.From(builder.Configuration);

        // Side-by-side copies of one service that must not compete for each other's messages (the tests run several,
        // each with its own database) set Messaging:QueuePrefix; replicas of one deployment never do.
        var queuePrefix = builder.Configuration["Messaging:QueuePrefix"] is { Length: > 0 } prefix ? $"{prefix}-{serviceName}" : serviceName;

        var killSwitchRestart = builder.Configuration.GetValue("Messaging:KillSwitchRestartTimeout", TimeSpan.FromSeconds(15));

        builder.Services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.SectionName);
        var receiveQueues = new ServiceQueues();
        builder.Services.AddSingleton(receiveQueues);
        builder.Services.AddSingleton(broker);
        builder.Services.AddSingleton(cluster);
        builder.Services.AddSingleton<ParkedMessages>();
        builder.Services.AddMassTransit(bus =>
        {
            // MassTransit reports usage to its vendor's host on the internet by default; a province's platform calls
            // nothing its operators did not configure.
            bus.DisableUsageTelemetry();
            bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(queuePrefix, includeNamespace: false));
            bus.AddConsumers(consumersAssembly);
            // Every service keeps a copy of the ended sessions (SessionVersions), whichever assembly it is.
            bus.AddConsumer<TrainingPlatform.BuildingBlocks.Security.AccountSessionsEndedCopy>();
            configure?.Invoke(bus);
            bus.AddConfigureEndpointsCallback((_, queue, endpoint) =>
            {
                receiveQueues.Add(queue);
                cluster.ConfigureEndpoint(endpoint);
                ConfigureDependencyOutages(endpoint, killSwitchRestart);
            });

            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(broker.Host, broker.Port, broker.VirtualHost, host =>
                {
                    host.Username(broker.Username);
                    host.Password(broker.Password);
                    cluster.ConfigureHost(host);
                });
                // In-process retries ride out a deadlock, a restarting database or a lost connection. What still
                // fails for a reason of its own goes to the queue's _error queue with the exception in its headers,
                // and the rest keep flowing; what fails because a dependency is down stays in the queue (see
                // ConfigureDependencyOutages). (Our RabbitMQ has no delayed-exchange plugin, so there is no
                // broker-delayed redelivery; a crashed consumer's unacknowledged message is redelivered by the broker.)
                rabbit.UseMessageRetry(retry =>
                {
                    retry.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(400));
                    retry.Ignore<PermanentMessageFailure>();
                    retry.Ignore<System.Text.Json.JsonException>();
                });
                // Each consumer commits one small transaction per message; enough in flight lets PostgreSQL group the
                // commits (Messaging:PrefetchCount, default 32 per queue).
                rabbit.PrefetchCount = builder.Configuration.GetValue("Messaging:PrefetchCount", 32);
                rabbit.ConfigureEndpoints(context);
            });
        });

        builder.Services.AddHostedService<OutboxDispatcher>();
        builder.Services.AddHostedService<MessagingHousekeeping>();
        return builder;
    }

    /// <summary>
    /// A consumer whose database is down must neither park its messages in the error queue nor spin on them. A
    /// message that exhausted its retries on a dependency failure (<see cref="DependencyFailure"/>) is put back in its
    /// queue; once such failures show up, the kill switch stops the receive endpoint, so the queue keeps the messages
    /// while nothing takes them, and starts it again after <paramref name="restartTimeout"/>. If the dependency is
    /// still down, the first messages fail again (after their retries) and the endpoint stops again; once it is back
    /// they are consumed as usual. Poison messages are not counted and still go to the error queue.
    /// </summary>
    private static void ConfigureDependencyOutages(IReceiveEndpointConfigurator endpoint, TimeSpan restartTimeout)
    {
        endpoint.ConfigureError(error =>
        {
            error.UseFilter(new RequeueDependencyFailuresFilter());
            // What follows is MassTransit's default error pipe, which an explicit one replaces.
            error.UseFilter(new GenerateFaultFilter());
            error.UseFilter(new ErrorTransportFilter());
        });
        endpoint.UseKillSwitch(options => options
            // A fault reaches the kill switch only after the whole retry budget (about 11 s) failed on a dependency,
            // which is evidence enough: trip on the first ones, not after a hundred messages (the default).
            .SetActivationThreshold(1)
            .SetTripThreshold(5)
            .SetTrackingPeriod(TimeSpan.FromMinutes(1))
            .SetRestartTimeout(restartTimeout)
            .SetExceptionFilter(filter => filter.Handle<Exception>(DependencyFailure.Is)));
    }
}

/// <summary>The parts of an AMQP URI (<c>amqp://user:password@host:port/vhost</c>), the format Aspire hands out.</summary>
public sealed record BrokerAddress(string Host, ushort Port, string VirtualHost, string Username, string Password)
{
    public static BrokerAddress Parse(string connectionString)
    {
        if (!Uri.TryCreate(connectionString, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "rabbitmq"))
        {
            throw new InvalidOperationException("The messaging connection string must be an AMQP URI: amqp://user:password@host:port/vhost");
        }
        var credentials = uri.UserInfo.Split(':', 2);
        var virtualHost = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        return new BrokerAddress(
            uri.Host,
            (ushort)(uri.IsDefaultPort || uri.Port <= 0 ? 5672 : uri.Port),
            string.IsNullOrEmpty(virtualHost) ? "/" : virtualHost,
            credentials.Length > 0 && credentials[0].Length > 0 ? Uri.UnescapeDataString(credentials[0]) : "guest",
            credentials.Length > 1 ? Uri.UnescapeDataString(credentials[1]) : "guest");
    }
}
