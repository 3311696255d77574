using System.Collections.Concurrent;

namespace TrainingPlatform.Services.Mentoring.Assignment;

/// <summary>
/// Assigns clients to servers at least cost (see <see cref="AssignmentSettings"/>) as a minimum-cost flow. Stage and
/// subject must match, so each (stage, subject) is an independent problem, solved in parallel. Inside one, the
/// network follows the organisation tree instead of joining every client to every server: source → the client's
/// school (or county, for a cross-school group) → up the tree (each step up costs one distance unit: school → county →
/// city → province) and down for free → the server's school → the server → the sink through unit arcs of rising
/// cost (the load term). A path's cost is exactly the stated cost of the pair, the network has O(schools + servers ×
/// capacity) arcs, and clients of one school, being interchangeable, travel as one supply.
/// </summary>
public static class AssignmentEngine
{
    public static AssignmentResult Solve(IReadOnlyList<AssignmentClient> clients, IReadOnlyList<AssignmentServer> servers, AssignmentSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.DistanceWeight, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(settings.LoadWeight);
        var serversByKey = servers.GroupBy(s => (s.Stage, s.Subject)).ToDictionary(g => g.Key, g => g.ToList());
        var parts = clients.Select((c, i) => (Client: c, Order: i)).GroupBy(c => (c.Client.Stage, c.Client.Subject)).ToList();
        var results = new ConcurrentBag<Partial>();
        Parallel.ForEach(parts, part =>
        {
            var key = part.Key;
            results.Add(SolvePart([.. part], serversByKey.TryGetValue(key, out var s) ? s : [], settings));
        });

        var pairs = results.SelectMany(r => r.Pairs).OrderBy(p => p.Order).Select(p => p.Pair).ToList();
        var unassigned = results.SelectMany(r => r.Unassigned).OrderBy(p => p.Order).Select(p => p.Client).ToList();
        var loads = servers.ToDictionary(s => s.Id, s => s.ExistingLoad);
        foreach (var pair in pairs)
        {
            loads[pair.ServerId]++;
        }
        var distanceCost = pairs.Sum(p => (long)p.Distance * settings.DistanceWeight);
        var loadCost = servers.Sum(s => LoadCost(s.ExistingLoad, loads[s.Id], settings.LoadWeight));
        return new AssignmentResult(pairs, unassigned, distanceCost + loadCost, distanceCost, loadCost, results.Sum(r => r.LowerBound), loads);
    }

    /// <summary>The load term of a server that goes from <paramref name="existing"/> to <paramref name="final"/> clients.</summary>
    public static long LoadCost(int existing, int final, int weight)
    {
        long cost = 0;
        for (var k = existing + 1; k <= final; k++)
        {
            cost += (long)(k - 1) * weight;
        }
        return cost;
    }

    private sealed record Partial(List<(int Order, AssignedPair Pair)> Pairs, List<(int Order, UnassignedClient Client)> Unassigned, long LowerBound);

    private static Partial SolvePart(List<(AssignmentClient Client, int Order)> clients, List<AssignmentServer> servers, AssignmentSettings settings)
    {
        // Nodes: 0 source, 1 sink, 2 the top (everything), then organisations, then servers.
        const int Source = 0, Sink = 1, Top = 2;
        var w = settings.DistanceWeight;
        var nodes = new Dictionary<string, int>(StringComparer.Ordinal);
        var depths = new List<int> { 0, 0, 0 };
        var tree = new List<(int Child, int Parent, int Level)>();

        int NodeOf(string path)
        {
            if (nodes.TryGetValue(path, out var node))
            {
                return node;
            }
            var segments = path.Split('/');
            // Up to the level that matters: school (or township) → county → city → top; provinces share the top.
            var parent = segments.Length switch
            {
                > 3 => NodeOf(string.Join('/', segments[..3])),
                3 => NodeOf(string.Join('/', segments[..2])),
                _ => Top,
            };
            node = depths.Count;
            depths.Add(segments.Length);
            nodes[path] = node;
            tree.Add((node, parent, LevelOf(segments.Length)));
            return node;
        }

        var homes = new Dictionary<int, List<(AssignmentClient Client, int Order)>>();
        // A client that some server here may not take is no longer interchangeable with its schoolmates: it travels on
        // its own, straight to each server it may have at that pair's cost, so the exclusion stays exact.
        var loners = clients.Where(c => servers.Any(s => c.Client.Excludes(s.Id))).ToList();
        foreach (var c in clients.Where(c => !servers.Any(s => c.Client.Excludes(s.Id))))
        {
            var node = NodeOf(c.Client.Path);
            if (!homes.TryGetValue(node, out var list))
            {
                homes[node] = list = [];
            }
            list.Add(c);
        }
        var serverOrgs = servers.Select(s => NodeOf(s.Path)).ToArray();
        var serverNodes = Enumerable.Range(depths.Count, servers.Count).ToArray();
        var flow = new MinCostFlow(depths.Count + servers.Count + loners.Count);
        foreach (var (child, parent, level) in tree)
        {
            // Each step up adds one to the distance of every pair whose paths meet above; down is free.
            if (level + 1 <= settings.MaxDistance)
            {
                flow.AddArc(child, parent, int.MaxValue / 2, w);
            }
            flow.AddArc(parent, child, int.MaxValue / 2, 0);
        }
        var entries = new Dictionary<int, int>();
        foreach (var (node, list) in homes)
        {
            // A client above school level (a county's cross-school group) is at least one step from any server.
            var entryDistance = LevelOf(depths[node]);
            if (entryDistance <= settings.MaxDistance)
            {
                entries[node] = flow.AddArc(Source, node, list.Count, (long)entryDistance * w);
            }
        }
        for (var k = 0; k < loners.Count; k++)
        {
            var node = depths.Count + servers.Count + k;
            var client = loners[k].Client;
            homes[node] = [loners[k]];
            entries[node] = flow.AddArc(Source, node, 1, 0);
            for (var i = 0; i < servers.Count; i++)
            {
                var distance = OrganisationDistance.Between(client.Path, servers[i].Path);
                if (!client.Excludes(servers[i].Id) && distance <= settings.MaxDistance)
                {
                    flow.AddArc(node, serverNodes[i], 1, (long)distance * w);
                }
            }
        }
        for (var i = 0; i < servers.Count; i++)
        {
            flow.AddArc(serverOrgs[i], serverNodes[i], int.MaxValue / 2, 0);
            for (var k = servers[i].ExistingLoad + 1; k <= servers[i].Capacity; k++)
            {
                flow.AddArc(serverNodes[i], Sink, 1, (long)(k - 1) * settings.LoadWeight);
            }
        }
        flow.Solve(Source, Sink);

        // Decompose the flow into home → server amounts. An optimal flow has no cycle (every cycle climbs the tree at a
        // positive cost), so no node both sends up and receives from above: each walk climbs, then descends, and its
        // cost is the pair's distance.
        var remaining = new Dictionary<int, int>();
        int Remaining(int arc) => remaining.TryGetValue(arc, out var r) ? r : flow.FlowOn(arc);
        var serverIndex = new Dictionary<int, int>();
        for (var i = 0; i < servers.Count; i++)
        {
            serverIndex[serverNodes[i]] = i;
        }
        var loads = servers.Select(s => s.ExistingLoad).ToArray();
        var placed = new List<(AssignmentClient Client, int Order, int Server)>();
        var unassigned = new List<(int Order, UnassignedClient Client)>();
        var nearest = new NearestServers(servers);
        long lowerBound = 0;
        foreach (var (home, list) in homes)
        {
            var taken = 0;
            if (entries.TryGetValue(home, out var entry))
            {
                var arcPath = new List<int>();
                while (Remaining(entry) > 0)
                {
                    arcPath.Clear();
                    arcPath.Add(entry);
                    var node = home;
                    while (!serverIndex.ContainsKey(node))
                    {
                        var arc = flow.ArcsFrom(node).First(a => Remaining(a) > 0);
                        arcPath.Add(arc);
                        node = flow.Head(arc);
                        if (arcPath.Count > flow.NodeCount)
                        {
                            throw new InvalidOperationException("The flow has a cycle; it cannot be optimal.");
                        }
                    }
                    var amount = arcPath.Min(Remaining);
                    foreach (var arc in arcPath)
                    {
                        remaining[arc] = Remaining(arc) - amount;
                    }
                    var server = serverIndex[node];
                    for (var i = 0; i < amount; i++, taken++)
                    {
                        placed.Add((list[taken].Client, list[taken].Order, server));
                    }
                    loads[server] += amount;
                }
                lowerBound += (long)taken * w * nearest.Distance(list[0].Client.Path);
            }
            if (taken < list.Count)
            {
                var reason = WhyUnassigned(list[0].Client, servers, nearest, settings);
                for (var i = taken; i < list.Count; i++)
                {
                    unassigned.Add((list[i].Order, new UnassignedClient(list[i].Client.Id, reason)));
                }
            }
        }
        var pairs = new List<(int Order, AssignedPair Pair)>(placed.Count);
        foreach (var (client, order, server) in placed)
        {
            var s = servers[server];
            var distance = OrganisationDistance.Between(client.Path, s.Path);
            pairs.Add((order, new AssignedPair(client.Id, s.Id, distance,
                $"{OrganisationDistance.Describe(distance)}，{s.MatchNote ?? "学科学段一致"}，负荷 {loads[server]}/{s.Capacity}")));
        }
        return new Partial(pairs, unassigned, lowerBound);
    }

    /// <summary>Depth 4+ is a school (level 0), 3 a county (1), 2 a city (2), 1 the province (3): the least distance from there to anyone.</summary>
    private static int LevelOf(int depth) => depth > 3 ? 0 : 4 - depth;

    /// <summary>The nearest server of one (stage, subject) to a path, ignoring capacity: by school, county and city sets.</summary>
    private sealed class NearestServers(IReadOnlyCollection<AssignmentServer> servers)
    {
        private readonly HashSet<string> _schools = [.. servers.Where(s => s.Path.Split('/').Length > 3).Select(s => s.Path)];
        private readonly HashSet<string> _counties = [.. servers.Select(s => Prefix(s.Path, 3)).OfType<string>()];
        private readonly HashSet<string> _cities = [.. servers.Select(s => Prefix(s.Path, 2)).OfType<string>()];

        public int Distance(string path)
        {
            if (servers.Count == 0)
            {
                return int.MaxValue;
            }
            if (_schools.Contains(path))
            {
                return OrganisationDistance.SameSchool;
            }
            if (Prefix(path, 3) is { } county && _counties.Contains(county))
            {
                return OrganisationDistance.SameCounty;
            }
            return Prefix(path, 2) is { } city && _cities.Contains(city) ? OrganisationDistance.SameCity : OrganisationDistance.Farther;
        }

        private static string? Prefix(string path, int depth)
        {
            var segments = path.Split('/');
            return segments.Length >= depth ? string.Join('/', segments[..depth]) : null;
        }
    }

    private static string WhyUnassigned(AssignmentClient client, List<AssignmentServer> servers, NearestServers nearest, AssignmentSettings settings)
    {
        var match = OrganisationDistance.MatchLabel(client.Stage, client.Subject);
        var noun = settings.ServerNoun;
        if (servers.Count == 0)
        {
            return $"没有同学科同学段（{match}）的{noun}";
        }
        if (nearest.Distance(client.Path) > settings.MaxDistance)
        {
            return $"同学科同学段（{match}）的{noun}都不在允许范围内（{OrganisationDistance.Range(settings.MaxDistance)}）";
        }
        var inRange = servers.Where(s => OrganisationDistance.Between(client.Path, s.Path) <= settings.MaxDistance).ToList();
        var own = inRange.Count(s => client.Excludes(s.Id));
        if (own == inRange.Count)
        {
            return $"范围内（{OrganisationDistance.Range(settings.MaxDistance)}）同学科同学段（{match}）的{noun}都是本组成员，不能指导自己所在的组";
        }
        if (own > 0)
        {
            inRange = [.. inRange.Where(s => !client.Excludes(s.Id))];
            return $"没有同学科同学段（{match}）、仍有名额的{noun}：{own} 位{noun}是本组成员，不能指导自己所在的组；其余范围内（{OrganisationDistance.Range(settings.MaxDistance)}）"
                   + $"{inRange.Count} 位{noun}共 {inRange.Sum(s => s.Capacity)} 个名额已满";
        }
        return $"没有同学科同学段（{match}）、仍有名额的{noun}：范围内（{OrganisationDistance.Range(settings.MaxDistance)}）{inRange.Count} 位{noun}共 "
               + $"{inRange.Sum(s => s.Capacity)} 个名额已满";
    }
}
