using TrainingPlatform.AppHost.Infrastructure;

namespace TrainingPlatform.AppHost.Orchestration;

internal static class ReadyReport
{
    public static void Print(AppHostConsole console, ServicePlan plan, IReadOnlyCollection<string> exited, TimeSpan elapsed,
        DemoCredentials demo)
    {
        foreach (var instance in plan.Services)
        {
            var state = exited.Contains(instance.Name) ? "  (EXITED)" : string.Empty;
            console.Info($"  {instance.Name,-14} {instance.Url}{state}");
        }
        console.Info($"  {plan.Portal.Name,-14} {plan.Portal.Url}{(exited.Contains(plan.Portal.Name) ? "  (EXITED)" : string.Empty)}");

        var gateway = plan.Gateway.Url;
        var lines = new List<string>
        {
            $"TrainingPlatform is ready: {gateway}  (gateway health: {gateway}/health)",
            $"web portal (门户): {gateway}/",
            $"started in {elapsed.TotalSeconds:0.0} s (已就绪) · press Ctrl+C to stop",
            $"sign in (登录): POST {gateway}/api/directory/sign-in  {{\"login\":\"{demo.OperatorLogin}\",\"password\":\"{demo.Password}\"}}",
            "demo accounts (演示账号) use the same password; see README › Trying it out",
        };
        if (exited.Count > 0)
        {
            lines.Add($"not running: {string.Join(", ", exited)} — see the error above");
        }

        console.Banner(exited.Count > 0 ? ConsoleHighlight.Warning : ConsoleHighlight.Success, [.. lines]);
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
        lines.AddRange(ServiceCatalog.WithDatabases.Select(service =>
            $"ConnectionStrings__{service.DatabaseName}={infrastructure.Postgres.ConnectionStringFor(service.DatabaseName)}"));
        console.Banner(ConsoleHighlight.Success, [.. lines]);
    }
}
