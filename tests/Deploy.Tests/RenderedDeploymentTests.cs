using System.Text;
using System.Text.Json.Nodes;
using TrainingPlatform.Deploy.Tests.Support;
using static TrainingPlatform.Deploy.Tests.Support.Manifests;

namespace TrainingPlatform.Deploy.Tests;

/// <summary>
/// deploy/overlays/province rendered with <c>kubectl kustomize</c> (offline, nothing is applied anywhere) and checked
/// the way a reviewer would: every object against its kind's schema, then what the platform needs of it.
/// </summary>
public sealed class RenderedDeploymentTests(Manifests manifests) : IClassFixture<Manifests>
{
    [Fact]
    public void Every_rendered_object_matches_its_kinds_schema()
    {
        Assert.NotEmpty(manifests.Objects);
        var errors = manifests.SchemaErrors();
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    [Fact]
    public void The_overlay_holds_the_whole_platform_in_one_namespace()
    {
        foreach (var app in Apps)
        {
            Assert.NotNull(manifests.Find("Deployment", app));
        }

        Assert.Equal(Apps.Length, manifests.OfKind("Deployment").Count());
        Assert.All(manifests.Objects.Where(o => Str(o, "kind") != "Namespace"),
            o => Assert.Equal("trainingplatform", Str(o["metadata"], "namespace")));
    }

    [Theory]
    [MemberData(nameof(AppNames))]
    public void Each_deployment_is_probed_sized_scaled_and_protected(string app)
    {
        var deployment = manifests.Single("Deployment", app);
        var template = deployment["spec"]!["template"]!;
        Assert.True(Selects(deployment["spec"]!["selector"]!["matchLabels"], template["metadata"]!["labels"]),
            $"{app}: the selector does not select its own pods");

        var container = Assert.Single(Containers(deployment));
        Assert.Matches($"^trainingplatform/{app}:[0-9A-Za-z._-]+$", Str(container, "image"));
        Assert.DoesNotContain(":latest", Str(container, "image"), StringComparison.Ordinal);

        // ServiceDefaults: /health (database, broker) means ready, /alive means the process is up; both on the HTTP port.
        var port = Assert.Single(container["ports"]!.AsArray().OfType<JsonObject>());
        Assert.Equal("http", Str(port, "name"));
        Assert.Equal(8080, port["containerPort"]!.GetValue<long>());
        Assert.Equal("/health", Str(container["readinessProbe"]!["httpGet"], "path"));
        Assert.Equal("http", Str(container["readinessProbe"]!["httpGet"], "port"));
        Assert.Equal("/alive", Str(container["livenessProbe"]!["httpGet"], "path"));
        Assert.Equal("http", Str(container["livenessProbe"]!["httpGet"], "port"));
        Assert.Equal("8080", ConfigValue(deployment, "ASPNETCORE_HTTP_PORTS"));

        var resources = container["resources"]!;
        Assert.NotNull(Str(resources["requests"], "cpu"));
        Assert.NotNull(Str(resources["requests"], "memory"));
        Assert.NotNull(Str(resources["limits"], "memory"));

        var hpa = manifests.Single("HorizontalPodAutoscaler", app);
        Assert.Equal("autoscaling/v2", Str(hpa, "apiVersion"));
        Assert.Equal("Deployment", Str(hpa["spec"]!["scaleTargetRef"], "kind"));
        Assert.Equal(app, Str(hpa["spec"]!["scaleTargetRef"], "name"));
        Assert.True(hpa["spec"]!["minReplicas"]!.GetValue<long>() >= 2, $"{app}: one replica is a single point of failure");
        Assert.True(hpa["spec"]!["maxReplicas"]!.GetValue<long>() > hpa["spec"]!["minReplicas"]!.GetValue<long>());
        Assert.Contains(hpa["spec"]!["metrics"]!.AsArray(), m => Str(m!["resource"], "name") == "cpu");

        var pdb = manifests.Single("PodDisruptionBudget", app);
        Assert.True(Selects(pdb["spec"]!["selector"]!["matchLabels"], template["metadata"]!["labels"]), $"{app}: the PDB protects no pod of it");

        var service = manifests.Single("Service", app);
        Assert.True(Selects(service["spec"]!["selector"], template["metadata"]!["labels"]), $"{app}: the Service reaches no pod of it");
        Assert.Contains(service["spec"]!["ports"]!.AsArray(), p => p!["port"]!.GetValue<long>() == 8080 && Str(p, "targetPort") == "http");
    }

    [Theory]
    [MemberData(nameof(AppsWithDatabase))]
    public void Each_database_user_gets_its_own_database_and_the_broker_under_the_names_the_code_reads(string app)
    {
        var database = DatabaseNamesInCode()[app];
        var broker = BrokerNameInCode();
        var env = Env(Assert.Single(Containers(manifests.Single("Deployment", app))));

        var connection = Assert.Contains($"ConnectionStrings__{database}", env);
        Assert.Contains("Host=platform-db-rw;", connection, StringComparison.Ordinal);
        Assert.Contains($"Database={database};", connection, StringComparison.Ordinal);
        Assert.Contains("Username=$(DB_USERNAME);Password=$(DB_PASSWORD)", connection, StringComparison.Ordinal);
        Assert.Equal($"secret:{app}-db/username", env["DB_USERNAME"]);
        Assert.Equal($"secret:{app}-db/password", env["DB_PASSWORD"]);

        var amqp = Assert.Contains($"ConnectionStrings__{broker}", env);
        Assert.Equal("amqp://$(MQ_USERNAME):$(MQ_PASSWORD)@messaging:5672/", amqp);
        Assert.Equal("secret:messaging-default-user/username", env["MQ_USERNAME"]);
        Assert.Equal("secret:messaging-default-user/password", env["MQ_PASSWORD"]);

        // $(VAR) expands only from variables defined earlier in the list.
        var names = env.Keys.ToList();
        Assert.True(names.IndexOf("DB_PASSWORD") < names.IndexOf($"ConnectionStrings__{database}"));
        Assert.True(names.IndexOf("MQ_PASSWORD") < names.IndexOf($"ConnectionStrings__{broker}"));

        // CloudNativePG: a Database of that name, owned by the role whose password the service's Secret holds.
        var db = manifests.Single("Database", database);
        Assert.Equal("platform-db", Str(db["spec"]!["cluster"], "name"));
        Assert.Equal(database, Str(db["spec"], "name"));
        var secret = manifests.Single("Secret", $"{app}-db");
        Assert.Equal("kubernetes.io/basic-auth", Str(secret, "type"));
        Assert.Equal(Str(db["spec"], "owner"), SecretValue(secret, "username"));
        var roles = manifests.Single("Cluster", "platform-db")["spec"]!["managed"]!["roles"]!.AsArray();
        Assert.Contains(roles, r => Str(r, "name") == Str(db["spec"], "owner")
                                    && Str(r!["passwordSecret"], "name") == $"{app}-db"
                                    && r["login"]!.GetValue<bool>());
    }

    [Fact]
    public void Every_service_trusts_tokens_from_directory_and_the_gateway_routes_to_every_service_and_the_portal()
    {
        foreach (var app in Apps)
        {
            Assert.Equal("http://directory:8080", ConfigValue(manifests.Single("Deployment", app), "services__directory__http__0"));
        }

        var gateway = Env(Assert.Single(Containers(manifests.Single("Deployment", "gateway"))));
        foreach (var target in Services.Append("portal"))
        {
            Assert.Equal($"http://{target}:8080", gateway[$"services__{target}__http__0"]);
            Assert.NotNull(manifests.Find("Service", target));
        }

        var portal = Env(Assert.Single(Containers(manifests.Single("Deployment", "portal"))));
        Assert.Equal("http://gateway:8080", portal["services__gateway__http__0"]);
    }

    [Fact]
    public void Every_secret_and_config_map_a_pod_reads_is_rendered_or_made_by_an_operator()
    {
        // The RabbitMQ operator makes <cluster>-default-user; everything else must be in the overlay.
        var operatorMade = new HashSet<string> { "messaging-default-user" };
        foreach (var deployment in manifests.OfKind("Deployment"))
        {
            foreach (var container in Containers(deployment))
            {
                foreach (var reference in Env(container).Values.Where(v => v.StartsWith("secret:", StringComparison.Ordinal)))
                {
                    var name = reference["secret:".Length..reference.IndexOf('/', StringComparison.Ordinal)];
                    Assert.True(operatorMade.Contains(name) || manifests.Find("Secret", name) is not null, $"no Secret {name}");
                }

                foreach (var from in container["envFrom"]?.AsArray() ?? [])
                {
                    Assert.NotNull(manifests.Find("ConfigMap", Str(from!["configMapRef"], "name")!));
                }
            }
        }

        Assert.Equal("messaging", Str(manifests.Single("RabbitmqCluster", "messaging")["metadata"], "name"));
    }

    [Fact]
    public void The_repository_holds_no_secret_values_only_marked_placeholders()
    {
        foreach (var secret in manifests.OfKind("Secret"))
        {
            foreach (var (key, _) in SecretData(secret).Where(p => p.Key != "username"))
            {
                Assert.StartsWith("example-only-", SecretValue(secret, key), StringComparison.Ordinal);
            }
        }

        // Nothing in a pod spec carries a credential inline: passwords come from Secrets only.
        foreach (var deployment in manifests.OfKind("Deployment"))
        {
            foreach (var (name, value) in Containers(deployment).SelectMany(Env))
            {
                if (name.Contains("PASSWORD", StringComparison.OrdinalIgnoreCase) || name.Contains("Password", StringComparison.Ordinal))
                {
                    Assert.StartsWith("secret:", value, StringComparison.Ordinal);
                }
            }
        }
    }

    [Fact]
    public void PostgreSQL_runs_three_instances_with_synchronous_replication()
    {
        var spec = manifests.Single("Cluster", "platform-db")["spec"]!;
        Assert.Equal(3, spec["instances"]!.GetValue<long>());
        var synchronous = spec["postgresql"]!["synchronous"]!;
        Assert.True(synchronous["number"]!.GetValue<long>() >= 1);
        Assert.Equal("required", Str(synchronous, "dataDurability"));
        Assert.Equal(6, manifests.OfKind("Database").Count());
    }

    [Fact]
    public void RabbitMQ_runs_a_cluster_of_three()
    {
        var spec = manifests.Single("RabbitmqCluster", "messaging")["spec"]!;
        Assert.Equal(3, spec["replicas"]!.GetValue<long>());
        Assert.Contains("default_queue_type = quorum", Str(spec["rabbitmq"], "additionalConfig"), StringComparison.Ordinal);
    }

    public static TheoryData<string> AppNames() => [.. Apps];

    public static TheoryData<string> AppsWithDatabase() => [.. Apps.Where(a => a != "gateway")];

    private string? ConfigValue(JsonObject deployment, string name)
    {
        var container = Containers(deployment).Single();
        if (Env(container).TryGetValue(name, out var value))
        {
            return value;
        }

        foreach (var from in container["envFrom"]?.AsArray() ?? [])
        {
            var map = manifests.Find("ConfigMap", Str(from!["configMapRef"], "name")!);
            if (Str(map?["data"], name) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    private static IEnumerable<KeyValuePair<string, JsonNode?>> SecretData(JsonObject secret) =>
        (secret["data"]?.AsObject() ?? []).Concat(secret["stringData"]?.AsObject() ?? []);

    private static string SecretValue(JsonObject secret, string key) =>
        Str(secret["stringData"], key) ?? Encoding.UTF8.GetString(Convert.FromBase64String(Str(secret["data"], key)!));
}
