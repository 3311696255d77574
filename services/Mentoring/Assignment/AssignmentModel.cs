using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Services.Mentoring.Assignment;

/// <summary>
/// Something to place (a new teacher, a study group), at <see cref="Path"/> in the organisation tree.
/// <see cref="ExcludedServers"/> may never take it (a guide who is a member of the group: no one guides their own group).
/// </summary>
public sealed record AssignmentClient(Guid Id, string Stage, string Subject, string Path, IReadOnlySet<Guid>? ExcludedServers = null)
{
    public bool Excludes(Guid serverId) => ExcludedServers?.Contains(serverId) == true;
}

/// <summary>
/// Someone who takes clients (a mentor, a guide teacher), with room for <see cref="Capacity"/> of them of which
/// <see cref="ExistingLoad"/> are already taken by earlier assignments.
/// <see cref="MatchNote"/> replaces "学科学段一致" in its explanations (a guide appointed outside their own stage and
/// subject, with the reason), so every pair it takes says so.
/// </summary>
public sealed record AssignmentServer(Guid Id, string Stage, string Subject, string Path, int Capacity, int ExistingLoad = 0, string? MatchNote = null);

/// <summary>
/// The stated cost of an assignment: <see cref="DistanceWeight"/> × distance for each pair (0 same school, 1 same
/// county, 2 same city, 3 another city), plus, for each server, <see cref="LoadWeight"/> × (k − 1) for its k-th client
/// (convex: a fourth mentee costs more than a second, so load spreads). Pairs farther than <see cref="MaxDistance"/>
/// are forbidden. Placing as many clients as possible comes first; the cost decides among those.
/// </summary>
public sealed record AssignmentSettings
{
    public int DistanceWeight { get; init; } = 10;

    public int LoadWeight { get; init; } = 1;

    public int MaxDistance { get; init; } = 3;

    /// <summary>What a server is called in explanations: 导师, 指导教师.</summary>
    public string ServerNoun { get; init; } = "导师";
}

public sealed record AssignedPair(Guid ClientId, Guid ServerId, int Distance, string Explanation);

public sealed record UnassignedClient(Guid ClientId, string Reason);

/// <summary>
/// The assignment, its total cost by the stated formula, and <see cref="DistanceLowerBound"/>: the distance part if
/// every placed client had its nearest eligible server regardless of capacity — no assignment can do better.
/// </summary>
public sealed record AssignmentResult(IReadOnlyList<AssignedPair> Assignments, IReadOnlyList<UnassignedClient> Unassigned, long TotalCost,
    long DistanceCost, long LoadCost, long DistanceLowerBound, IReadOnlyDictionary<Guid, int> Loads);

/// <summary>Distances in the organisation tree (province/city/county[/township]/school), read off two paths.</summary>
public static class OrganisationDistance
{
    public const int SameSchool = 0;
    public const int SameCounty = 1;
    public const int SameCity = 2;
    public const int Farther = 3;

    public static int Between(string a, string b)
    {
        var x = a.Split('/');
        var y = b.Split('/');
        var common = 0;
        while (common < x.Length && common < y.Length && x[common] == y[common])
        {
            common++;
        }
        if (common == x.Length && common == y.Length && x.Length > 3)
        {
            return SameSchool;
        }
        return common >= 3 ? SameCounty : common == 2 ? SameCity : Farther;
    }

    public static string Describe(int distance) => distance switch
    {
        SameSchool => "同校",
        SameCounty => "同区县",
        SameCity => "同市",
        _ => "跨市",
    };

    public static string Range(int maxDistance) => maxDistance switch
    {
        SameSchool => "仅限本校",
        SameCounty => "本区县以内",
        SameCity => "本市以内",
        _ => "全省",
    };

    public static string MatchLabel(string stage, string subject) =>
        $"{(StageNames.Names.TryGetValue(stage, out var name) ? name : stage)}{subject}";
}
