// TrainingPlatform AppHost: a small local orchestrator that keeps .NET Aspire's conventions
// (ConnectionStrings__*, services__name__http__i, OTEL_*) without Aspire or Docker.
//
//   1. PostgreSQL and RabbitMQ (started here, or taken from ConnectionStrings__postgres / __messaging)
//   2. one database per service
//   3. the services in waves (ServiceCatalog.StartWaves: consumers before publishers) — each until GET /health answers 200
//   4. the web portal, then the gateway (which serves the APIs and the portal), then "ready"
//   5. on Ctrl+C / SIGTERM: stop in reverse order, exit 0
using System.Diagnostics;
using TrainingPlatform.AppHost.Infrastructure;
using TrainingPlatform.AppHost.Orchestration;

ProcessRegistry.EnsureInstalled(); // last-resort stop of every child on any exit path
var console = new AppHostConsole(ConsoleLogSink.Shared);

AppHostOptions options;
try
{
    options = AppHostOptions.Parse(args, Environment.GetEnvironmentVariable);
}
catch (UsageException e)
{
    console.Error($"{e.Message} (see --help)");
    return 2;
}

if (options.ShowHelp)
{
    Console.WriteLine(AppHostOptions.HelpText);
    return 0;
}

var clock = Stopwatch.StartNew();
using var shutdown = new ShutdownSignal(console);
await using var running = new ShutdownSequence(console,
    InfrastructureStartup.PostgresStage, InfrastructureStartup.RabbitMqStage, ServiceLauncher.ServicesStage, ServiceLauncher.PortalStage,
    ServiceLauncher.GatewayStage);
var crashes = new CrashReporter(console, () => running.IsStopping || shutdown.IsRequested);

try
{
    var repository = RepositoryLayout.Locate(options);
    var plan = options.InfraOnly ? null : ServicePlan.Create(repository, options);

    var infrastructure = await new InfrastructureStartup(repository, console, running, crashes.Watch).StartAsync(shutdown.Token);
    if (plan is null)
    {
        InfraOnlyReport.Print(console, infrastructure, clock.Elapsed);
        await shutdown.WaitAsync();
        return 0;
    }

    var demo = DemoCredentials.LoadOrCreate(repository.DataDirectory);
    var launcher = new ServiceLauncher(plan, infrastructure, console, running, crashes.Watch, demo);
    await launcher.StartServicesAsync(shutdown.Token);
    await launcher.StartPortalAsync(shutdown.Token);
    await launcher.StartGatewayAsync(shutdown.Token);

    ReadyReport.Print(console, plan, crashes.Exited, clock.Elapsed, demo);
    await shutdown.WaitAsync();
    return 0;
}
catch (Exception) when (shutdown.IsRequested)
{
    return 0; // Ctrl+C during startup: whatever was interrupted is stopped below, like a normal shutdown.
}
catch (StartupException e)
{
    console.Error(e.Message);
    return 1;
}
