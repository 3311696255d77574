using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using TrainingPlatform.LocalServers;

namespace TrainingPlatform.AppHost.LocalServers;

/// <summary>What the local-server resources share: a prepared program for DCP to run, and a probe of its port.</summary>
internal static class ServerPrograms
{
    /// <summary>A resource DCP runs as the program says (already wrapped to switch user when we are root), listening on <paramref name="port"/>.</summary>
    public static IResourceBuilder<T> AddServerProgram<T>(
        this IDistributedApplicationBuilder builder, T resource, ServerProgram program, int port)
        where T : ExecutableResource =>
        builder.AddResource(resource)
            .WithArgs([.. program.Arguments])
            .WithEnvironment(context =>
            {
                foreach (var (variable, value) in program.Environment)
                {
                    context.EnvironmentVariables[variable] = value ?? string.Empty;
                }
            })
            // The port is ours (FreePort), not DCP's: the server is told it on its command line, and a proxy in
            // front of PostgreSQL or RabbitMQ would only add a hop to every statement and message.
            .WithEndpoint(name: "tcp", port: port, targetPort: port, scheme: "tcp", isProxied: false);

    /// <summary>A health check that <c>WaitFor</c> honours: healthy once the probe succeeds.</summary>
    public static IResourceBuilder<T> WithProbe<T>(this IResourceBuilder<T> resource, string key,
        Func<CancellationToken, Task<HealthCheckResult>> probe)
        where T : IResource
    {
        resource.ApplicationBuilder.Services.AddHealthChecks().AddAsyncCheck(key, probe);
        return resource.WithHealthCheck(key);
    }
}
