namespace TrainingPlatform.Services.Mentoring.Assignment;

/// <summary>
/// Minimum-cost maximum flow by the primal-dual method: Dijkstra on reduced costs (node potentials keep them
/// non-negative) finds the current shortest-path distance, then a blocking flow (Dinic, iterative) pushes as much as
/// possible along every shortest path at once. Each phase raises the shortest distance, so the number of phases is
/// bounded by the number of distinct path costs, which is small for our small integer costs. The result is a maximum
/// flow of minimum cost among all maximum flows. Costs must be non-negative on the arcs as added.
/// </summary>
public sealed class MinCostFlow
{
    private const long Infinity = long.MaxValue / 4;

    private readonly List<int> _from = [];
    private readonly List<int> _to = [];
    private readonly List<int> _capacity = [];
    private readonly List<long> _cost = [];
    private int[] _head = [];
    private int[] _next = [];
    private int[] _residual = [];
    private int[] _initial = [];

    public MinCostFlow(int nodes)
    {
        NodeCount = nodes;
    }

    public int NodeCount { get; }

    /// <summary>Adds the arc <paramref name="from"/> → <paramref name="to"/>; returns its id for <see cref="FlowOn"/>.</summary>
    public int AddArc(int from, int to, int capacity, long cost)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ArgumentOutOfRangeException.ThrowIfNegative(cost);
        var id = _from.Count;
        _from.Add(from);
        _to.Add(to);
        _capacity.Add(capacity);
        _cost.Add(cost);
        _from.Add(to);
        _to.Add(from);
        _capacity.Add(0);
        _cost.Add(-cost);
        return id;
    }

    /// <summary>Flow on the arc <paramref name="arc"/> after <see cref="Solve"/>.</summary>
    public int FlowOn(int arc) => _initial[arc] - _residual[arc];

    /// <summary>The arcs leaving <paramref name="node"/> as added (not their reverses), after <see cref="Solve"/>.</summary>
    public IEnumerable<int> ArcsFrom(int node)
    {
        for (var e = _head[node]; e >= 0; e = _next[e])
        {
            if ((e & 1) == 0)
            {
                yield return e;
            }
        }
    }

    public int Head(int arc) => _to[arc];

    /// <summary>Sends as much as possible from <paramref name="source"/> to <paramref name="sink"/> at least cost.</summary>
    public (long Flow, long Cost) Solve(int source, int sink)
    {
        var arcs = _from.Count;
        _head = new int[NodeCount];
        Array.Fill(_head, -1);
        _next = new int[arcs];
        // Reverse insertion keeps the arcs of a node in the order they were added, so results are reproducible.
        for (var e = arcs - 1; e >= 0; e--)
        {
            _next[e] = _head[_from[e]];
            _head[_from[e]] = e;
        }
        _residual = [.. _capacity];
        _initial = [.. _capacity];
        var to = _to.ToArray();
        var cost = _cost.ToArray();

        var potential = new long[NodeCount];
        var distance = new long[NodeCount];
        var level = new int[NodeCount];
        var current = new int[NodeCount];
        var queue = new int[NodeCount];
        var path = new int[NodeCount];
        var heap = new PriorityQueue<int, long>();
        long totalFlow = 0;
        long totalCost = 0;

        while (true)
        {
            // Dijkstra on reduced costs.
            Array.Fill(distance, Infinity);
            distance[source] = 0;
            heap.Enqueue(source, 0);
            while (heap.TryDequeue(out var u, out var d))
            {
                if (d > distance[u])
                {
                    continue;
                }
                for (var e = _head[u]; e >= 0; e = _next[e])
                {
                    if (_residual[e] <= 0)
                    {
                        continue;
                    }
                    var v = to[e];
                    var nd = d + cost[e] + potential[u] - potential[v];
                    if (nd < distance[v])
                    {
                        distance[v] = nd;
                        heap.Enqueue(v, nd);
                    }
                }
            }
            if (distance[sink] >= Infinity)
            {
                break;
            }
            var reach = distance[sink];
            for (var v = 0; v < NodeCount; v++)
            {
                potential[v] += Math.Min(distance[v], reach);
            }
            var unitCost = potential[sink] - potential[source];

            // Blocking flows on the admissible arcs (residual, reduced cost 0): every s–t path there is a shortest path.
            while (true)
            {
                Array.Fill(level, -1);
                level[source] = 0;
                int qHead = 0, qTail = 0;
                queue[qTail++] = source;
                while (qHead < qTail)
                {
                    var u = queue[qHead++];
                    for (var e = _head[u]; e >= 0; e = _next[e])
                    {
                        var v = to[e];
                        if (_residual[e] > 0 && level[v] < 0 && cost[e] + potential[u] - potential[v] == 0)
                        {
                            level[v] = level[u] + 1;
                            queue[qTail++] = v;
                        }
                    }
                }
                if (level[sink] < 0)
                {
                    break;
                }
                Array.Copy(_head, current, NodeCount);
                var pushed = BlockingFlow(source, sink, level, current, path, to, cost, potential);
                if (pushed == 0)
                {
                    break;
                }
                totalFlow += pushed;
                totalCost += pushed * unitCost;
            }
        }
        return (totalFlow, totalCost);
    }

    private long BlockingFlow(int source, int sink, int[] level, int[] current, int[] path, int[] to, long[] cost, long[] potential)
    {
        long pushed = 0;
        var depth = 0;
        var u = source;
        while (true)
        {
            if (u == sink)
            {
                var bottleneck = int.MaxValue;
                for (var i = 0; i < depth; i++)
                {
                    bottleneck = Math.Min(bottleneck, _residual[path[i]]);
                }
                for (var i = 0; i < depth; i++)
                {
                    _residual[path[i]] -= bottleneck;
                    _residual[path[i] ^ 1] += bottleneck;
                }
                pushed += bottleneck;
                depth = 0;
                u = source;
                continue;
            }
            var advanced = false;
            for (; current[u] >= 0; current[u] = _next[current[u]])
            {
                var e = current[u];
                var v = to[e];
                if (_residual[e] > 0 && level[v] == level[u] + 1 && cost[e] + potential[u] - potential[v] == 0)
                {
                    path[depth++] = e;
                    u = v;
                    advanced = true;
                    break;
                }
            }
            if (advanced)
            {
                continue;
            }
            if (u == source)
            {
                return pushed;
            }
            // Dead end: no augmenting path goes through u in this phase.
            level[u] = -1;
            var back = path[--depth];
            u = _from[back];
            current[u] = _next[current[u]];
        }
    }
}
