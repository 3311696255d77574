using System.Globalization;
using System.Xml.Linq;
using TrainingPlatform.AppHost.LocalServers;
using TrainingPlatform.LocalServers;

namespace TrainingPlatform.AppHost.Platform;

/// <summary>
/// A service and its replicas. Each replica is its own resource on its own port, and the gateway is given every one
/// (<c>services__enrollment__http__0</c>, <c>__1</c> …) rather than one address behind DCP's proxy: the gateway
/// health-checks each replica and, when one dies, sends a request that could not connect to another, which it could
/// not do through a proxy that accepts the connection for a replica that is gone.
/// </summary>
public sealed record PlatformService(string Name, IReadOnlyList<IResourceBuilder<ProjectResource>> Replicas)
{
    /// <summary>The replica that starts first: it applies the migrations and the demo data before the others start.</summary>
    public IResourceBuilder<ProjectResource> First => Replicas[0];
}

public static class PlatformServiceExtensions
{
    /// <summary>
    /// A service with its own database (<c>ConnectionStrings__&lt;name&gt;db</c>), the broker, and Directory's address for
    /// its tokens' signing keys; healthy when its <c>/health</c> answers.
    /// </summary>
    public static PlatformService AddService<TProject>(this IDistributedApplicationBuilder builder, string name, int replicas,
        IResourceBuilder<IResourceWithConnectionString> postgres, IResourceBuilder<IResourceWithConnectionString> messaging)
        where TProject : IProjectMetadata, new()
    {
        var database = postgres.AddServiceDatabase($"{name}db");
        var first = builder.AddPlatformProject<TProject>(name, name, 0)
            .WithReference(database).WaitFor(database)
            .WithReference(messaging).WaitFor(messaging)
            .WithEnvironment("Demo__Seed", "true");
        var all = new List<IResourceBuilder<ProjectResource>> { first };
        for (var index = 1; index < replicas; index++)
        {
            all.Add(builder.AddPlatformProject<TProject>($"{name}-{(index + 1).ToString(CultureInfo.InvariantCulture)}", name, index)
                .WithReference(database)
                .WithReference(messaging)
                .WaitFor(first));
        }

        return new PlatformService(name, all);
    }

    /// <summary>Where every service finds Directory (the issuer of the tokens it checks).</summary>
    public static void TrustTokensFrom(this IEnumerable<PlatformService> services, PlatformService directory)
    {
        foreach (var replica in services.SelectMany(s => s.Replicas))
        {
            replica.WithEnvironment("services__directory__http__0", directory.First.GetEndpoint("http"));
        }
    }

    /// <summary>Consumers bind their queues before the first publisher starts: RabbitMQ drops what no queue is bound for.</summary>
    public static PlatformService StartsAfter(this PlatformService service, params PlatformService[] consumers)
    {
        foreach (var consumer in consumers)
        {
            service.First.WaitFor(consumer.First);
        }

        return service;
    }

    /// <summary>The gateway sees every replica of every service, each under the service's name.</summary>
    public static IResourceBuilder<ProjectResource> WithRoutesTo(this IResourceBuilder<ProjectResource> gateway, IEnumerable<PlatformService> services)
    {
        foreach (var service in services)
        {
            for (var index = 0; index < service.Replicas.Count; index++)
            {
                gateway.WithEnvironment($"services__{service.Name}__http__{index.ToString(CultureInfo.InvariantCulture)}",
                    service.Replicas[index].GetEndpoint("http"));
            }
        }

        return gateway;
    }

    /// <summary>
    /// One of the platform's .NET projects on a port of its own (no launch profile: the AppHost decides), directly
    /// reachable rather than behind DCP's proxy. Replicas of one service share its telemetry name and differ in
    /// <c>service.instance.id</c>.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddPlatformProject<TProject>(
        this IDistributedApplicationBuilder builder, string resourceName, string serviceName, int index, int? port = null)
        where TProject : IProjectMetadata, new() =>
        builder.AddProject<TProject>(resourceName, options => options.ExcludeLaunchProfile = true)
            .RunBuildOutput(new TProject().ProjectPath)
            .WithHttpEndpoint(port: port ?? FreePort.Next(), isProxied: false)
            .WithHttpHealthCheck("/health")
            .WithEnvironment("ASPNETCORE_ENVIRONMENT", "Development")
            .WithEnvironment("OTEL_SERVICE_NAME", serviceName)
            .WithEnvironment("OTEL_RESOURCE_ATTRIBUTES",
                $"service.instance.id={serviceName}-{index.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>
    /// DCP runs the project's build output itself instead of <c>dotnet run</c>, which evaluates the project again
    /// (seconds of CPU per process on two cores) and stands between DCP's stop signal and the service. The AppHost is
    /// built with everything it runs (scripts/run.sh builds the solution; the test projects reference it).
    /// </summary>
    private static IResourceBuilder<ProjectResource> RunBuildOutput(this IResourceBuilder<ProjectResource> project, string projectPath)
    {
        var directory = Path.GetDirectoryName(projectPath)!;
        var assemblyName = XDocument.Load(projectPath).Descendants("AssemblyName").Single().Value;
        return project.WithAnnotation(new ExecutableAnnotation
        {
            Command = Path.Combine(directory, "bin", BuildConfiguration, "net10.0", assemblyName),
            WorkingDirectory = directory,
        });
    }

#if DEBUG
    private const string BuildConfiguration = "Debug";
#else
    private const string BuildConfiguration = "Release";
#endif
}
