using System.Text.Json.Nodes;
using TrainingPlatform.Deploy.Tests.Support;

namespace TrainingPlatform.Deploy.Tests;

/// <summary>The schema check is not vacuous: a rendered object with a typical mistake fails it.</summary>
public sealed class SchemaCheckTests(Manifests manifests) : IClassFixture<Manifests>
{
    public static TheoryData<string, string> Mistakes() => new()
    {
        { "Deployment/enrollment: a misspelt field", "Deployment|enrollment|spec.template.spec.containers.0|readinesProbe={}" },
        { "Deployment/enrollment: replicas as text", "Deployment|enrollment|spec|replicas=\"three\"" },
        { "Deployment/enrollment: a malformed CPU request", "Deployment|enrollment|spec.template.spec.containers.0.resources.requests|cpu=\"half a core\"" },
        { "Deployment/enrollment: a container without a name", "Deployment|enrollment|spec.template.spec.containers.0|-name" },
        { "HorizontalPodAutoscaler/enrollment: no maxReplicas", "HorizontalPodAutoscaler|enrollment|spec|-maxReplicas" },
        { "Cluster/platform-db: instances as text", "Cluster|platform-db|spec|instances=\"3\"" },
        { "Cluster/platform-db: an unknown synchronous method", "Cluster|platform-db|spec.postgresql.synchronous|method=\"all\"" },
        { "Cluster/platform-db: a misspelt field", "Cluster|platform-db|spec|instance=3" },
        { "RabbitmqCluster/messaging: a misspelt field", "RabbitmqCluster|messaging|spec|replica=3" },
        { "Database/creditsdb: no owner", "Database|creditsdb|spec|-owner" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void A_broken_manifest_fails_the_schema_check(string what, string edit)
    {
        var parts = edit.Split('|');
        var broken = manifests.Objects.Select(o => (JsonObject)o.DeepClone()).ToList();
        var target = broken.Single(o => Manifests.Str(o, "kind") == parts[0] && Manifests.Str(o["metadata"], "name") == parts[1]);
        JsonNode node = target;
        foreach (var step in parts[2].Split('.'))
        {
            node = int.TryParse(step, out var index) ? node[index]! : node[step]!;
        }

        if (parts[3].StartsWith('-'))
        {
            Assert.True(node.AsObject().Remove(parts[3][1..]), what);
        }
        else
        {
            var (key, value) = (parts[3][..parts[3].IndexOf('=', StringComparison.Ordinal)], parts[3][(parts[3].IndexOf('=', StringComparison.Ordinal) + 1)..]);
            node[key] = JsonNode.Parse(value);
        }

        var errors = new Manifests(broken).SchemaErrors();
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.StartsWith($"{parts[0]}/{parts[1]}", e, StringComparison.Ordinal));
    }
}
