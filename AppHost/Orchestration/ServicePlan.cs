using System.Globalization;
using TrainingPlatform.AppHost.Infrastructure;

namespace TrainingPlatform.AppHost.Orchestration;

/// <summary>One process to run: a service replica or the gateway.</summary>
internal sealed record ProjectInstance(
    ProjectDefinition Project, int Index, int Replicas, int Port, string ProjectDirectory, string AssemblyPath)
{
    /// <summary>Log prefix: <c>catalog</c>, or <c>enrollment-0</c>, <c>enrollment-1</c> … when replicated.</summary>
    public string Name => Replicas == 1 ? Project.Name : $"{Project.Name}-{Index.ToString(CultureInfo.InvariantCulture)}";

    public string Url => $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// Every process and its port, decided before anything starts — each process is told where all the
/// others are (Aspire's <c>services__name__http__i</c> variables) at launch.
/// </summary>
internal sealed class ServicePlan
{
    private ServicePlan(IReadOnlyList<ProjectInstance> services, ProjectInstance portal, ProjectInstance gateway)
    {
        Services = services;
        Portal = portal;
        Gateway = gateway;
    }

    public IReadOnlyList<ProjectInstance> Services { get; }

    public ProjectInstance Portal { get; }

    public ProjectInstance Gateway { get; }

    /// <summary>Checks the build output and the gateway port first, so a mistake costs nothing to find out.</summary>
    public static ServicePlan Create(RepositoryLayout repository, AppHostOptions options)
    {
        var missing = ServiceCatalog.Services.Append(ServiceCatalog.Portal).Append(ServiceCatalog.Gateway)
            .Select(project => BuildOutput.AssemblyPath(repository, project))
            .Where(path => !File.Exists(path))
            .ToList();
        if (missing.Count > 0)
        {
            throw new StartupException(
                $"not built yet (bin/{BuildOutput.Configuration}):{Environment.NewLine}"
                + string.Join(Environment.NewLine, missing.Select(path => "    " + Path.GetRelativePath(repository.Root, path)))
                + $"{Environment.NewLine}Build first: dotnet build TrainingPlatform.sln -c {BuildOutput.Configuration}"
                + "   (scripts/run.sh does this for you)");
        }

        if (!FreePort.IsAvailable(options.GatewayPort))
        {
            throw new StartupException(
                $"port {options.GatewayPort} is already in use; choose another with --gateway-port <port> (or GATEWAY_PORT)");
        }

        var replicaCount = ServiceCatalog.Services.Sum(s => options.ReplicasOf(s.Name)) + 1; // and the portal
        var ports = new Queue<int>(FreePort.Allocate(replicaCount).Where(p => p != options.GatewayPort));
        var services = new List<ProjectInstance>();
        foreach (var service in ServiceCatalog.Services)
        {
            var replicas = options.ReplicasOf(service.Name);
            for (var index = 0; index < replicas; index++)
            {
                var port = ports.TryDequeue(out var free) ? free : FreePort.Next();
                services.Add(new ProjectInstance(service, index, replicas, port,
                    repository.ProjectDirectory(service), BuildOutput.AssemblyPath(repository, service)));
            }
        }

        var portal = new ProjectInstance(ServiceCatalog.Portal, 0, 1, ports.TryDequeue(out var portalPort) ? portalPort : FreePort.Next(),
            repository.ProjectDirectory(ServiceCatalog.Portal), BuildOutput.AssemblyPath(repository, ServiceCatalog.Portal));
        var gateway = new ProjectInstance(ServiceCatalog.Gateway, 0, 1, options.GatewayPort,
            repository.ProjectDirectory(ServiceCatalog.Gateway), BuildOutput.AssemblyPath(repository, ServiceCatalog.Gateway));
        return new ServicePlan(services, portal, gateway);
    }

    /// <summary><c>services__enrollment__http__1=http://127.0.0.1:port</c> for every replica of every service.</summary>
    public IReadOnlyDictionary<string, string> ServiceDiscoveryVariables() =>
        Services.ToDictionary(
            instance => $"services__{instance.Project.Name}__http__{instance.Index.ToString(CultureInfo.InvariantCulture)}",
            instance => instance.Url);
}
