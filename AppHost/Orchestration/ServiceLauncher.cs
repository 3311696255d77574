using TrainingPlatform.AppHost.Infrastructure;

namespace TrainingPlatform.AppHost.Orchestration;

/// <summary>Starts the services and the gateway with their configuration and waits until each is healthy.</summary>
internal sealed class ServiceLauncher(
    ServicePlan plan,
    InfrastructureEndpoints infrastructure,
    AppHostConsole console,
    ShutdownSequence running,
    Action<ManagedProcess> watchForCrash,
    DemoCredentials demo)
{
    public const string ServicesStage = "services";
    public const string PortalStage = "portal";
    public const string GatewayStage = "gateway";

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private readonly string _dotnet = DotnetHost.Locate();

    /// <summary>
    /// Wave by wave (<see cref="ServiceCatalog.StartWaves"/>): each service is started after the consumers of what it
    /// publishes at start have bound their queues. (Nobody needs Directory's signing keys at start-up; they are
    /// fetched on the first token.)
    /// </summary>
    public async Task StartServicesAsync(CancellationToken cancellationToken)
    {
        var unplaced = plan.Services.Select(i => i.Project).Distinct().Where(p => !ServiceCatalog.StartWaves.Any(w => w.Contains(p))).ToList();
        if (unplaced.Count > 0)
        {
            throw new InvalidOperationException($"not in any start wave: {string.Join(", ", unplaced.Select(p => p.Name))}");
        }
        foreach (var wave in ServiceCatalog.StartWaves)
        {
            await Concurrently.RunAsync(cancellationToken, plan.Services
                .Where(instance => wave.Contains(instance.Project))
                .GroupBy(instance => instance.Project)
                .Select(replicas => (Func<CancellationToken, Task>)(token => StartReplicasAsync([.. replicas], token))));
        }
    }

    /// <summary>After the services (its pages call them), before the gateway (which serves it).</summary>
    public Task StartPortalAsync(CancellationToken cancellationToken) =>
        StartInstanceAsync(plan.Portal, PortalStage, PortalEnvironment(), cancellationToken);

    public Task StartGatewayAsync(CancellationToken cancellationToken) =>
        StartInstanceAsync(plan.Gateway, GatewayStage, GatewayEnvironment(), cancellationToken);

    /// <summary>
    /// Replica 0 alone first: it applies migrations and demo data, which replicas racing each other on an
    /// empty database would trip over. The remaining replicas then start together.
    /// </summary>
    private async Task StartReplicasAsync(IReadOnlyList<ProjectInstance> replicas, CancellationToken cancellationToken)
    {
        await StartInstanceAsync(replicas[0], ServicesStage, ServiceEnvironment(replicas[0]), cancellationToken);
        await Concurrently.RunAsync(cancellationToken, replicas.Skip(1).Select(instance =>
            (Func<CancellationToken, Task>)(token => StartInstanceAsync(instance, ServicesStage, ServiceEnvironment(instance), token))));
    }

    private async Task StartInstanceAsync(
        ProjectInstance instance, string stage, Dictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        var process = ManagedProcess.Start(new ManagedProcessSpec
        {
            Name = instance.Name,
            FileName = _dotnet,
            Arguments = ["exec", instance.AssemblyPath],
            WorkingDirectory = instance.ProjectDirectory,
            Environment = environment,
        }, console.Sink);
        running.Register(stage, instance.Name, () => process.StopAsync(StopTimeout));

        await HealthProbe.WaitUntilHealthyAsync(process, instance.Url, cancellationToken);
        console.Info($"{instance.Name} is healthy at {instance.Url}");
        watchForCrash(process);
    }

    private Dictionary<string, string?> ServiceEnvironment(ProjectInstance instance)
    {
        var environment = CommonEnvironment(instance);
        environment[$"ConnectionStrings__{instance.Project.DatabaseName}"] =
            infrastructure.Postgres.ConnectionStringFor(instance.Project.DatabaseName);
        environment["ConnectionStrings__messaging"] = infrastructure.RabbitMq.ConnectionString;
        environment["Demo__Seed"] = "true";
        if (instance.Project == ServiceCatalog.Directory)
        {
            foreach (var (name, value) in demo.DirectoryEnvironment())
            {
                environment[name] = value;
            }
        }
        return environment;
    }

    /// <summary>The portal keeps its notifications in its own database, hears the services' events, and calls the APIs through the gateway.</summary>
    private Dictionary<string, string?> PortalEnvironment()
    {
        var environment = CommonEnvironment(plan.Portal);
        environment[$"ConnectionStrings__{plan.Portal.Project.DatabaseName}"] = infrastructure.Postgres.ConnectionStringFor(plan.Portal.Project.DatabaseName);
        environment["ConnectionStrings__messaging"] = infrastructure.RabbitMq.ConnectionString;
        environment["services__gateway__http__0"] = plan.Gateway.Url;
        return environment;
    }

    private Dictionary<string, string?> GatewayEnvironment()
    {
        var environment = CommonEnvironment(plan.Gateway);
        environment["services__portal__http__0"] = plan.Portal.Url;
        return environment;
    }

    private Dictionary<string, string?> CommonEnvironment(ProjectInstance instance)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_URLS"] = instance.Url,
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["OTEL_SERVICE_NAME"] = instance.Project.Name,
            // Tells replicas apart in traces and metrics, as Aspire does.
            ["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={instance.Name}",
        };
        if (Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 } otlp)
        {
            environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp;
        }

        foreach (var (name, url) in plan.ServiceDiscoveryVariables())
        {
            environment[name] = url;
        }

        return environment;
    }
}
