using TrainingPlatform.AppHost.Infrastructure;

namespace TrainingPlatform.AppHost.Orchestration;

internal static class ReadyReport
{
    public static void Print(AppHostConsole console, ServicePlan plan, TimeSpan elapsed)
    {
        foreach (var instance in plan.Services)
        {
            console.Info($"  {instance.Name,-14} {instance.Url}");
        }

        var gateway = plan.Gateway.Url;
        console.Banner(ConsoleHighlight.Success,
            $"TrainingPlatform is ready: {gateway}  (gateway health: {gateway}/health)",
            $"started in {elapsed.TotalSeconds:0.0} s (已就绪) · press Ctrl+C to stop");
    }
}

/// <summary>--infra-only: what to export to run a service by hand against this infrastructure.</summary>
internal static class InfraOnlyReport
{
    public static void Print(AppHostConsole console, InfrastructureEndpoints infrastructure, TimeSpan elapsed)
    {
        var lines = new List<string>
        {
            $"infrastructure ready in {elapsed.TotalSeconds:0.0} s · press Ctrl+C to stop",
            $"ConnectionStrings__postgres={infrastructure.Postgres.AdminConnectionString}",
            $"ConnectionStrings__messaging={infrastructure.RabbitMq.ConnectionString}",
        };
        lines.AddRange(ServiceCatalog.Services.Select(service =>
            $"ConnectionStrings__{service.DatabaseName}={infrastructure.Postgres.ConnectionStringFor(service.DatabaseName)}"));
        console.Banner(ConsoleHighlight.Success, [.. lines]);
    }
}
