// TrainingPlatform's map: what runs, what each part is given, and what waits for what. .NET Aspire runs it (DCP
// starts the processes, the dashboard shows their logs, traces and metrics); scripts/run.sh is the way in.
using TrainingPlatform.AppHost.LocalServers;
using TrainingPlatform.AppHost.Platform;

if (!AppHostOptions.TryFromCommandLine(args, out var options, out var exitCode))
{
    return exitCode;
}

var builder = DistributedApplication.CreateBuilder(LocalRun.AspireArguments(options));
var data = options.DataDirectoryUnder(builder.AppHostDirectory);

// The servers: Debian's PostgreSQL and RabbitMQ run as resources here, or the ones ConnectionStrings__postgres and
// ConnectionStrings__messaging name. --cluster: a primary with a synchronous standby, and three RabbitMQ nodes in one cluster.
var postgres = options.Cluster
    ? await builder.AddPostgresClusterAsync("postgres", Path.Combine(data, "postgres-cluster"))
    : await builder.AddPostgresServerAsync("postgres", Path.Combine(data, "postgres"));
var messaging = options.Cluster
    ? await builder.AddMessageBrokerClusterAsync("messaging", Path.Combine(data, "rabbitmq-cluster"))
    : await builder.AddMessageBrokerAsync("messaging", Path.Combine(data, "rabbitmq"));
if (options.InfraOnly)
{
    await builder.Build().RunAsync();
    return 0;
}

// The five services, each with its own database. Services publish at their first start (the demo data), so each
// starts after the consumers of what it publishes: Enrollment's events go to Credits and Mentoring, Catalog's to
// Enrollment and Mentoring, Directory's organisation tree and teachers to everyone.
var credits = builder.AddService<Projects.Credits_Api>("credits", options.ReplicasOf("credits"), postgres, messaging);
var mentoring = builder.AddService<Projects.Mentoring_Api>("mentoring", options.ReplicasOf("mentoring"), postgres, messaging);
var enrollment = builder.AddService<Projects.Enrollment_Api>("enrollment", options.ReplicasOf("enrollment"), postgres, messaging)
    .StartsAfter(credits, mentoring);
var catalog = builder.AddService<Projects.Catalog_Api>("catalog", options.ReplicasOf("catalog"), postgres, messaging)
    .StartsAfter(enrollment);
var directory = builder.AddService<Projects.Directory_Api>("directory", options.ReplicasOf("directory"), postgres, messaging)
    .StartsAfter(catalog);
PlatformService[] services = [directory, catalog, enrollment, credits, mentoring];
services.TrustTokensFrom(directory);
foreach (var replica in services.SelectMany(s => s.Replicas))
{
    replica.WithBrokerCluster(messaging);
}

// The first operator and every demo account share one password, generated on the first run and kept in the data folder.
var demo = DemoCredentials.LoadOrCreate(data);
var demoPassword = builder.AddParameter("demo-password", demo.Password, secret: true);
foreach (var replica in directory.Replicas)
{
    replica.WithEnvironment("Directory__BootstrapOperator__Login", demo.OperatorLogin)
        .WithEnvironment("Directory__BootstrapOperator__Password", demoPassword)
        .WithEnvironment("Demo__Password", demoPassword);
}

// The portal (its own database, the services' events for its notifications, the APIs through the gateway) and the
// gateway in front of everything start beside the services: nothing they do at start needs them, what they publish
// comes from people's actions, and the gateway's own health checks bring each replica into rotation when it is up.
var portalDatabase = postgres.AddServiceDatabase("portaldb");
var portal = builder.AddPlatformProject<Projects.Portal>("portal", "portal", 0)
    .WithReference(portalDatabase).WaitFor(portalDatabase)
    .WithReference(messaging).WaitFor(messaging)
    .WithBrokerCluster(messaging);
var gateway = builder.AddPlatformProject<Projects.Gateway>("gateway", "gateway", 0, options.GatewayPort)
    .WithRoutesTo(services)
    .WithEnvironment("services__portal__http__0", portal.GetEndpoint("http"));
portal.WithEnvironment("services__gateway__http__0", gateway.GetEndpoint("http"));

builder.AnnounceWhenReady(gateway, Path.Combine(data, DemoCredentials.FileName));
await builder.Build().RunAsync();
return 0;
