using System.Diagnostics;
using System.Globalization;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Mentoring.Assignment;

// The min-cost flow is exact (a network flow's linear programme has integral optima), so its cost is the optimum; the
// capacity-free lower bound printed beside it shows what capacity costs.
// The assignment engine on generated provinces: 16 cities × 10 counties × 30 schools, each school one stage, teachers
// and mentors spread over the stage's subjects (语文, 数学, 英语 three times as often as the rest).
//   dotnet run -c Release --project benchmarks/AssignmentBench

Run("new teachers → mentors, 20,000 × 5,000, county-partitioned (within the county only)", 20_000, 5_000, (3, 5),
    new AssignmentSettings { MaxDistance = OrganisationDistance.SameCounty }, seed: 1);
Run("new teachers → mentors, 100,000 × 25,000 (capacity 3–5)", 100_000, 25_000, (3, 5), new AssignmentSettings(), seed: 2);
Run("study groups → guide teachers, 30,000 × 6,000 (1 : 5, within the city)", 30_000, 6_000, (5, 5),
    new AssignmentSettings { MaxDistance = OrganisationDistance.SameCity, ServerNoun = "指导教师" }, seed: 3);

static void Run(string title, int clientCount, int serverCount, (int Min, int Max) capacity, AssignmentSettings settings, int seed)
{
    var random = new Random(seed);
    var schools = new List<(string Path, string Stage)>();
    string[] stages = [Stages.Primary, Stages.Primary, Stages.Junior, Stages.Senior];
    for (var city = 1; city <= 16; city++)
    {
        for (var county = 1; county <= 10; county++)
        {
            for (var school = 1; school <= 30; school++)
            {
                schools.Add(($"37/37{city:00}/37{city:00}{county:00}/37{city:00}{county:00}{school:000}", stages[random.Next(stages.Length)]));
            }
        }
    }
    (string Path, string Stage, string Subject) Somewhere()
    {
        var (path, stage) = schools[random.Next(schools.Count)];
        var subjects = Subjects.ByStage[stage];
        var subject = random.Next(2) == 0 ? subjects[random.Next(3)] : subjects[random.Next(subjects.Count)];
        return (path, stage, subject);
    }
    var clients = Enumerable.Range(0, clientCount).Select(_ =>
    {
        var (path, stage, subject) = Somewhere();
        return new AssignmentClient(Guid.NewGuid(), stage, subject, path);
    }).ToList();
    var servers = Enumerable.Range(0, serverCount).Select(_ =>
    {
        var (path, stage, subject) = Somewhere();
        return new AssignmentServer(Guid.NewGuid(), stage, subject, path, random.Next(capacity.Min, capacity.Max + 1));
    }).ToList();

    AssignmentEngine.Solve(clients.Take(500).ToList(), servers.Take(100).ToList(), settings); // warm-up
    var clock = Stopwatch.StartNew();
    var result = AssignmentEngine.Solve(clients, servers, settings);
    clock.Stop();

    // Hard constraints, checked again outside the engine.
    var byId = servers.ToDictionary(s => s.Id);
    var clientById = clients.ToDictionary(c => c.Id);
    var violations = result.Assignments.Count(p =>
    {
        var c = clientById[p.ClientId];
        var s = byId[p.ServerId];
        return c.Stage != s.Stage || c.Subject != s.Subject || p.Distance > settings.MaxDistance;
    }) + servers.Count(s => result.Loads[s.Id] > s.Capacity);
    var byDistance = result.Assignments.GroupBy(p => p.Distance).OrderBy(g => g.Key)
        .Select(g => $"{OrganisationDistance.Describe(g.Key)} {g.Count():N0}");
    var reasons = result.Unassigned.GroupBy(u => u.Reason.Contains("仍有名额", StringComparison.Ordinal) ? "范围内名额已满"
            : u.Reason.Contains("不在允许范围", StringComparison.Ordinal) ? "同学科同学段的都在范围外" : "没有同学科同学段的")
        .Select(g => $"{g.Key} ×{g.Count():N0}");
    var gap = result.DistanceCost - result.DistanceLowerBound;
    Console.WriteLine(title);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  {clock.Elapsed.TotalSeconds:0.00} s; placed {result.Assignments.Count:N0}, unplaced {result.Unassigned.Count:N0}; hard-constraint violations {violations}"));
    Console.WriteLine($"  by distance: {string.Join(", ", byDistance)}");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  total cost {result.TotalCost:N0} = distance {result.DistanceCost:N0} + load {result.LoadCost:N0}; distance lower bound (each placed client's nearest eligible server, capacity ignored) {result.DistanceLowerBound:N0}, gap {gap:N0} ({(result.DistanceCost == 0 ? 0 : 100.0 * gap / result.DistanceCost):0.0} %)"));
    if (result.Unassigned.Count > 0)
    {
        Console.WriteLine($"  unplaced because: {string.Join("; ", reasons)}");
    }
}
