using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;
using Json.Schema;
using k8s.Models;

namespace TrainingPlatform.Deploy.Tests.Support;

/// <summary>
/// A JSON schema for every kind deploy/ uses, strict about field names (an unknown field is an error, as with
/// <c>kubectl apply</c>'s server-side field validation):
/// <list type="bullet">
/// <item>The built-in kinds from the Kubernetes API's own types in KubernetesClient 19 (generated from Kubernetes
/// 1.35's OpenAPI document), exported with System.Text.Json's schema exporter. The types carry no "required" lists, so
/// the API's required fields of the types these manifests use are added from the API reference
/// (<see cref="RequiredFields"/>); int-or-string and quantities get their API formats.</item>
/// <item>The operators' kinds from their CRDs' <c>openAPIV3Schema</c>, vendored in Schemas/ (see Schemas/README.md).</item>
/// </list>
/// </summary>
internal static class ManifestSchemas
{
    private static readonly Dictionary<(string ApiVersion, string Kind), Type> BuiltIn = new()
    {
        [("v1", "Namespace")] = typeof(V1Namespace),
        [("v1", "ConfigMap")] = typeof(V1ConfigMap),
        [("v1", "Secret")] = typeof(V1Secret),
        [("v1", "Service")] = typeof(V1Service),
        [("apps/v1", "Deployment")] = typeof(V1Deployment),
        [("autoscaling/v2", "HorizontalPodAutoscaler")] = typeof(V2HorizontalPodAutoscaler),
        [("policy/v1", "PodDisruptionBudget")] = typeof(V1PodDisruptionBudget),
    };

    private static readonly Dictionary<(string ApiVersion, string Kind), string> Custom = new()
    {
        [("postgresql.cnpg.io/v1", "Cluster")] = "cluster-postgresql.cnpg.io-v1.json",
        [("postgresql.cnpg.io/v1", "Database")] = "database-postgresql.cnpg.io-v1.json",
        [("rabbitmq.com/v1beta1", "RabbitmqCluster")] = "rabbitmqcluster-rabbitmq.com-v1beta1.json",
    };

    /// <summary>Required fields of the Kubernetes API types these manifests use (the OpenAPI document's "required").</summary>
    private static readonly Dictionary<Type, string[]> RequiredFields = new()
    {
        [typeof(V1Deployment)] = ["apiVersion", "kind", "metadata", "spec"],
        [typeof(V1Service)] = ["apiVersion", "kind", "metadata", "spec"],
        [typeof(V2HorizontalPodAutoscaler)] = ["apiVersion", "kind", "metadata", "spec"],
        [typeof(V1PodDisruptionBudget)] = ["apiVersion", "kind", "metadata", "spec"],
        [typeof(V1ConfigMap)] = ["apiVersion", "kind", "metadata"],
        [typeof(V1Secret)] = ["apiVersion", "kind", "metadata"],
        [typeof(V1Namespace)] = ["apiVersion", "kind", "metadata"],
        [typeof(V1DeploymentSpec)] = ["selector", "template"],
        [typeof(V1PodSpec)] = ["containers"],
        [typeof(V1Container)] = ["name"],
        [typeof(V1ContainerPort)] = ["containerPort"],
        [typeof(V1EnvVar)] = ["name"],
        [typeof(V1SecretKeySelector)] = ["key"],
        [typeof(V1ConfigMapKeySelector)] = ["key"],
        [typeof(V1ObjectFieldSelector)] = ["fieldPath"],
        [typeof(V1HTTPGetAction)] = ["port"],
        [typeof(V1TopologySpreadConstraint)] = ["maxSkew", "topologyKey", "whenUnsatisfiable"],
        [typeof(V1ServicePort)] = ["port"],
        [typeof(V2HorizontalPodAutoscalerSpec)] = ["scaleTargetRef", "maxReplicas"],
        [typeof(V2CrossVersionObjectReference)] = ["kind", "name"],
        [typeof(V2MetricSpec)] = ["type"],
        [typeof(V2ResourceMetricSource)] = ["name", "target"],
        [typeof(V2MetricTarget)] = ["type"],
        [typeof(V2HPAScalingPolicy)] = ["type", "value", "periodSeconds"],
        [typeof(V1LabelSelectorRequirement)] = ["key", "operator"],
    };

    // Kubernetes' resource.Quantity (api/resource/quantity.go): a decimal with an optional SI, binary or exponent suffix.
    private const string QuantityPattern =
        @"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$";

    private static readonly Dictionary<(string, string), JsonSchema> Cache = [];

    public static bool TryGet(string apiVersion, string kind, out JsonSchema schema)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue((apiVersion, kind), out schema!))
            {
                return true;
            }

            JsonNode? node = null;
            if (BuiltIn.TryGetValue((apiVersion, kind), out var type))
            {
                node = FromApiType(type);
            }
            else if (Custom.TryGetValue((apiVersion, kind), out var file))
            {
                node = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Schemas", file)));
                Strict(node!);
            }

            if (node is null)
            {
                return false;
            }

            // The object's own apiVersion and kind, as the API server insists.
            var properties = node["properties"]!.AsObject();
            properties["apiVersion"] = new JsonObject { ["const"] = apiVersion };
            properties["kind"] = new JsonObject { ["const"] = kind };
            // A top-level object is named (a pod template's metadata is not, so this is not ObjectMeta's own rule). Said
            // beside the exported schema, whose $refs point into it by path.
            node["allOf"] = new JsonArray(new JsonObject
            {
                ["properties"] = new JsonObject { ["metadata"] = new JsonObject { ["required"] = new JsonArray("name") } },
            });
            node["required"] = new JsonArray("apiVersion", "kind", "metadata");
            schema = JsonSchema.FromText(node.ToJsonString());
            Cache[(apiVersion, kind)] = schema;
            return true;
        }
    }

    private static JsonNode FromApiType(Type type)
    {
        var options = new JsonSerializerOptions(JsonSerializerOptions.Default)
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        };
        var exporter = new JsonSchemaExporterOptions
        {
            TransformSchemaNode = (context, schema) =>
            {
                var t = context.TypeInfo.Type;
                if (t == typeof(IntOrString))
                {
                    return new JsonObject { ["type"] = new JsonArray("string", "integer") };
                }

                if (t == typeof(ResourceQuantity))
                {
                    return Quantity();
                }

                // Requests and limits: the exporter leaves a map of quantities open, so say what its values are.
                if (t.IsAssignableTo(typeof(IDictionary<string, ResourceQuantity>)))
                {
                    return new JsonObject { ["type"] = new JsonArray("object", "null"), ["additionalProperties"] = Quantity() };
                }

                if (RequiredFields.TryGetValue(t, out var required) && schema is JsonObject obj)
                {
                    obj["required"] = new JsonArray([.. required.Select(r => (JsonNode)r)]);
                }

                return schema;
            },
        };
        return JsonSchemaExporter.GetJsonSchemaAsNode(options, type, exporter);
    }

    private static JsonObject Quantity() => new()
    {
        ["type"] = new JsonArray("string", "number"),
        ["pattern"] = QuantityPattern,
    };

    /// <summary>
    /// A CRD's structural schema made strict: an object that lists its properties takes no others, unless it says it
    /// keeps unknown fields (the API server would prune them silently, and <c>kubectl apply</c> rejects them).
    /// </summary>
    private static void Strict(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["properties"] is JsonObject
                    && obj["additionalProperties"] is null
                    && obj["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() != true)
                {
                    obj["additionalProperties"] = false;
                }

                foreach (var child in obj.Select(p => p.Value).OfType<JsonNode>().ToList())
                {
                    Strict(child);
                }

                break;
            case JsonArray array:
                foreach (var child in array.OfType<JsonNode>().ToList())
                {
                    Strict(child);
                }

                break;
        }
    }
}
