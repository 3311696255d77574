using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;

namespace TrainingPlatform.Deploy.Tests.Support;

/// <summary>The rendered province overlay, and what the tests look up in it.</summary>
public sealed partial class Manifests
{
    public const string Overlay = "deploy/overlays/province";

    // The schemas are shared by every test class, and JsonSchema.Net 7 is not safe to evaluate one schema from two threads:
    // a CI run failed with an IndexOutOfRangeException inside its JsonPointer while another class evaluated beside it.
    private static readonly Lock Evaluating = new();

    /// <summary>The seven .NET processes, each a Deployment of its own.</summary>
    public static readonly string[] Apps = ["directory", "catalog", "enrollment", "credits", "mentoring", "portal", "gateway"];

    /// <summary>The five services behind the gateway.</summary>
    public static readonly string[] Services = ["directory", "catalog", "enrollment", "credits", "mentoring"];

    public Manifests() : this(Kustomize.Render(Repository.PathOf(Overlay)))
    {
    }

    internal Manifests(IReadOnlyList<JsonObject> objects) => Objects = objects;

    public IReadOnlyList<JsonObject> Objects { get; }

    public IEnumerable<JsonObject> OfKind(string kind) => Objects.Where(o => Str(o, "kind") == kind);

    public JsonObject Single(string kind, string name) =>
        OfKind(kind).Single(o => Str(o["metadata"], "name") == name);

    public JsonObject? Find(string kind, string name) =>
        OfKind(kind).SingleOrDefault(o => Str(o["metadata"], "name") == name);

    /// <summary>Every schema error of every object, as "Kind/name at /path: message"; an object of a kind no schema knows is one.</summary>
    public IReadOnlyList<string> SchemaErrors()
    {
        var errors = new List<string>();
        foreach (var o in Objects)
        {
            var id = $"{Str(o, "kind")}/{Str(o["metadata"], "name")}";
            if (!ManifestSchemas.TryGet(Str(o, "apiVersion") ?? "", Str(o, "kind") ?? "", out var schema))
            {
                errors.Add($"{id}: no schema for {Str(o, "apiVersion")} {Str(o, "kind")}");
                continue;
            }

            EvaluationResults result;
            lock (Evaluating)
            {
                result = schema.Evaluate(o, new EvaluationOptions { OutputFormat = OutputFormat.Hierarchical });
            }
            if (!result.IsValid)
            {
                var found = Failures(result).Select(f => $"{id} at {f}").ToList();
                errors.AddRange(found.Count > 0 ? found : [$"{id}: invalid"]);
            }
        }

        return errors;
    }

    /// <summary>
    /// The errors along failing branches only: a branch of an anyOf that another branch satisfied (an int-or-string
    /// given a string) failed too, but is no mistake.
    /// </summary>
    private static IEnumerable<string> Failures(EvaluationResults node)
    {
        if (node.IsValid)
        {
            yield break;
        }

        foreach (var (keyword, message) in node.Errors ?? new Dictionary<string, string>())
        {
            yield return $"{node.InstanceLocation}: {keyword}: {message}";
        }

        foreach (var failure in (node.Details ?? []).SelectMany(Failures))
        {
            yield return failure;
        }
    }

    public static string? Str(JsonNode? node, string property) =>
        node?[property] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static IEnumerable<JsonObject> Containers(JsonObject deployment) =>
        deployment["spec"]!["template"]!["spec"]!["containers"]!.AsArray().OfType<JsonObject>();

    /// <summary>The container's environment as name → the value or a "secret:name/key", "configmap:name/key", "field:path" reference.</summary>
    public static Dictionary<string, string> Env(JsonObject container) =>
        (container["env"]?.AsArray() ?? []).OfType<JsonObject>().ToDictionary(
            e => Str(e, "name")!,
            e => Str(e, "value")
                 ?? (e["valueFrom"]?["secretKeyRef"] is { } s ? $"secret:{Str(s, "name")}/{Str(s, "key")}"
                 : e["valueFrom"]?["configMapKeyRef"] is { } c ? $"configmap:{Str(c, "name")}/{Str(c, "key")}"
                 : e["valueFrom"]?["fieldRef"] is { } f ? $"field:{Str(f, "fieldPath")}" : "?"));

    public static bool Selects(JsonNode? matchLabels, JsonNode? labels) =>
        matchLabels is JsonObject wanted && wanted.Count > 0 && labels is JsonObject have
        && wanted.All(p => Str(have, p.Key) is { } v && v == p.Value?.GetValue<string>());

    /// <summary>The connection-string names the code reads, from its source: every <c>DatabaseName</c> constant and the broker's.</summary>
    public static IReadOnlyDictionary<string, string> DatabaseNamesInCode()
    {
        var found = new Dictionary<string, string>();
        foreach (var (app, file) in new[]
        {
            ("directory", "services/Directory/DirectoryApi.cs"), ("catalog", "services/Catalog/CatalogApi.cs"),
            ("enrollment", "services/Enrollment/EnrollmentApi.cs"), ("credits", "services/Credits/CreditsApi.cs"),
            ("mentoring", "services/Mentoring/MentoringApi.cs"), ("portal", "portal/PortalApp.cs"),
        })
        {
            found[app] = DatabaseNameConstant().Match(File.ReadAllText(Repository.PathOf(file))).Groups[1].Value;
        }

        return found;
    }

    public static string BrokerNameInCode() =>
        BrokerNameConstant().Match(File.ReadAllText(Repository.PathOf("services/BuildingBlocks/Messaging/ServiceMessaging.cs"))).Groups[1].Value;

    [GeneratedRegex("""const string DatabaseName = "([a-z]+)";""")]
    private static partial Regex DatabaseNameConstant();

    [GeneratedRegex("""const string ConnectionName = "([a-z]+)";""")]
    private static partial Regex BrokerNameConstant();
}
