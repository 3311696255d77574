using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace TrainingPlatform.Contract.Tests;

/// <summary>Findings that differ only in the request that caused them, counted once.</summary>
public sealed record FindingGroup(string Operation, string Caller, string Kind, int Status, string Why, int Count,
    IReadOnlyDictionary<string, int> RequestKinds, Finding Example);

/// <summary>The contract run written for people: requests per operation, then every finding, grouped.</summary>
public static partial class ContractReport
{
    public const int FindingsInFailureMessage = 50;

    public static IReadOnlyList<FindingGroup> Group(ContractRun run)
    {
        var order = run.Tallies.Select((t, i) => (t.Operation.Name, i)).ToDictionary(x => x.Name, x => x.i);
        return run.Findings
            .GroupBy(f => (f.Operation, f.Caller, f.Kind, f.Status, Why: Normalise(f.Why)))
            .Select(g => new FindingGroup(g.Key.Operation, g.Key.Caller, g.Key.Kind, g.Key.Status, g.Key.Why, g.Count(),
                g.GroupBy(f => f.RequestKind).OrderBy(k => k.Key, StringComparer.Ordinal).ToDictionary(k => k.Key, k => k.Count()),
                g.First()))
            .OrderBy(g => Array.IndexOf(ResponseChecker.Severity, g.Kind))
            .ThenBy(g => order.GetValueOrDefault(g.Operation))
            .ThenBy(g => g.Caller, StringComparer.Ordinal)
            .ThenBy(g => g.Status)
            .ToList();
    }

    /// <summary>Everything: the request counts per operation, the findings counted by kind, and each group.</summary>
    public static string Full(string service, ContractRun run)
    {
        var text = new StringBuilder();
        var byCaller = run.Tallies.SelectMany(t => t.ByCaller).GroupBy(c => c.Key).Select(g => $"{g.Key} {g.Sum(c => c.Value)}");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Contract test — {service}: {run.Tallies.Count} operations, {run.Requests} requests ({string.Join(", ", byCaller)}) in {run.Elapsed.TotalSeconds:0.0} s");
        text.AppendLine("  Requests per operation (statuses seen):");
        var width = run.Tallies.Select(t => t.Operation.Name.Length).DefaultIfEmpty(0).Max();
        foreach (var tally in run.Tallies)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"    {tally.Operation.Name.PadRight(width)}  {tally.Total,4}  ({string.Join(", ", tally.ByCaller.Select(c => $"{c.Key} {c.Value}"))})  {string.Join(" ", tally.ByStatus.Select(s => $"{s.Key}×{s.Value}"))}");
        }
        text.AppendLine(CultureInfo.InvariantCulture, $"    {"total".PadRight(width)}  {run.Requests,4}");
        var groups = Group(run);
        text.AppendLine(Summary(run, groups));
        foreach (var group in groups)
        {
            Describe(text, group);
        }
        return text.ToString();
    }

    /// <summary>For the assertion: the counts by kind and the first <see cref="FindingsInFailureMessage"/> groups.</summary>
    public static string Failure(string service, ContractRun run)
    {
        var groups = Group(run);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{service}: the responses do not keep the OpenAPI document's contract ({run.Requests} requests).");
        text.AppendLine(Summary(run, groups));
        foreach (var group in groups.Take(FindingsInFailureMessage))
        {
            Describe(text, group);
        }
        if (groups.Count > FindingsInFailureMessage)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  … and {groups.Count - FindingsInFailureMessage} more groups (all of them in the test output).");
        }
        return text.ToString();
    }

    private static string Summary(ContractRun run, IReadOnlyList<FindingGroup> groups)
    {
        if (run.Findings.Count == 0)
        {
            return "  Findings: none.";
        }
        var kinds = run.Findings.GroupBy(f => f.Kind).OrderBy(k => Array.IndexOf(ResponseChecker.Severity, k.Key))
            .Select(k => $"{k.Key} {k.Count()} ({groups.Count(g => g.Kind == k.Key)} groups, {k.Select(f => f.Operation).Distinct().Count()} operations)");
        return $"  Findings: {run.Findings.Count} responses in {groups.Count} groups — by kind: {string.Join("; ", kinds)}";
    }

    private static void Describe(StringBuilder text, FindingGroup group)
    {
        const int shown = 8;
        var kinds = string.Join(", ", group.RequestKinds.Take(shown).Select(k => k.Value == 1 ? k.Key : $"{k.Key}×{k.Value}"))
                    + (group.RequestKinds.Count > shown ? $", … {group.RequestKinds.Count - shown} more" : "");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"  [{group.Kind}] {group.Operation} as {group.Caller} → {(group.Status == 0 ? "no response" : group.Status.ToString(CultureInfo.InvariantCulture))} ×{group.Count} ({kinds}): {group.Why}");
        text.AppendLine(CultureInfo.InvariantCulture, $"      e.g. {group.Example.Request}");
        if (group.Example.Response.Length > 0 && group.Kind is not (ResponseChecker.ServerError or ResponseChecker.UndocumentedBody))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"      ⇒ {SchemaValidator.Shorten(group.Example.Response, 200)}");
        }
    }

    /// <summary>List positions, ids and byte counts vary between otherwise equal findings.</summary>
    private static string Normalise(string why) =>
        Numbers().Replace(TraceIds().Replace(Guids().Replace(Indexes().Replace(why, "[*]"), "{id}"), "{trace}"), m => m.Groups[1].Value + "N bytes");

    [GeneratedRegex(@"00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-9a-f]")]
    private static partial Regex TraceIds();

    [GeneratedRegex(@"\[\d+\]")]
    private static partial Regex Indexes();

    [GeneratedRegex(@"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")]
    private static partial Regex Guids();

    [GeneratedRegex(@"(\()\d+ bytes")]
    private static partial Regex Numbers();
}
