using TrainingPlatform.Services.Mentoring.Assignment;
using Xunit;

namespace TrainingPlatform.Mentoring.Tests;

public sealed class AssignmentEngineTests
{
    private const string SchoolA = "37/3716/371602/A";
    private const string SchoolB = "37/3716/371602/B";
    private const string SchoolC = "37/3716/371603/C";
    private const string SchoolD = "37/3704/370402/D";
    private static readonly AssignmentSettings Mentors = new();

    private static AssignmentClient Client(string path, string subject = "数学", string stage = "junior") => new(Guid.NewGuid(), stage, subject, path);

    private static AssignmentServer Server(string path, int capacity = 3, string subject = "数学", string stage = "junior", int existing = 0) =>
        new(Guid.NewGuid(), stage, subject, path, capacity, existing);

    [Theory]
    [InlineData(SchoolA, SchoolA, 0)]
    [InlineData(SchoolA, SchoolB, 1)]
    [InlineData(SchoolA, SchoolC, 2)]
    [InlineData(SchoolA, SchoolD, 3)]
    [InlineData("37/3716/371602", SchoolA, 1)]                // a county's cross-school group and a school in it
    [InlineData("37/3716/371602/T1/S9", SchoolA, 1)]          // a township school: still the same county
    [InlineData("37/3716/371602", "37/3716/371603", 2)]
    public void Distance_is_read_off_the_organisation_tree(string a, string b, int distance)
    {
        Assert.Equal(distance, OrganisationDistance.Between(a, b));
        Assert.Equal(distance, OrganisationDistance.Between(b, a));
    }

    [Fact]
    public void A_mentee_gets_a_mentor_of_the_same_school_and_the_explanation_says_so()
    {
        var mentee = Client(SchoolA);
        var near = Server(SchoolA);
        var result = AssignmentEngine.Solve([mentee, Client(SchoolB)], [Server(SchoolC), near], Mentors);
        var pair = Assert.Single(result.Assignments, p => p.ClientId == mentee.Id);
        Assert.Equal(near.Id, pair.ServerId);
        Assert.Equal("同校，学科学段一致，负荷 2/3", pair.Explanation);
        Assert.Empty(result.Unassigned);
        Assert.Equal(10 + 1, result.TotalCost); // the second mentee: same county (10); the mentor's second mentee: load 1
    }

    [Fact]
    public void Load_spreads_between_equally_near_mentors()
    {
        var first = Server(SchoolA);
        var second = Server(SchoolA);
        var result = AssignmentEngine.Solve([Client(SchoolA), Client(SchoolA), Client(SchoolA), Client(SchoolA)], [first, second], Mentors);
        Assert.Equal(2, result.Loads[first.Id]);
        Assert.Equal(2, result.Loads[second.Id]);
        Assert.Equal(2, result.LoadCost);
    }

    [Fact]
    public void Capacity_and_existing_load_hold_and_who_is_left_out_is_told_why()
    {
        var mentor = Server(SchoolA, capacity: 3, existing: 2);
        var clients = new[] { Client(SchoolA), Client(SchoolA), Client(SchoolB, subject: "语文"), Client(SchoolD) };
        var result = AssignmentEngine.Solve(clients, [mentor, Server(SchoolB, subject: "物理")], Mentors with { MaxDistance = 2 });
        Assert.Single(result.Assignments);
        Assert.Equal("负荷 3/3", result.Assignments[0].Explanation[^6..]);
        var reasons = result.Unassigned.ToDictionary(u => u.ClientId, u => u.Reason);
        Assert.StartsWith("没有同学科同学段（初中数学）、仍有名额的导师", reasons[result.Unassigned[0].ClientId]);
        Assert.Equal("没有同学科同学段（初中语文）的导师", reasons[clients[2].Id]);
        Assert.Equal("同学科同学段（初中数学）的导师都不在允许范围内（本市以内）", reasons[clients[3].Id]);
    }

    [Fact]
    public void Placing_everyone_comes_before_distance()
    {
        // Mentor M1 (school A) is nearest to both, but M2 (another city) can only take the mentee from D: all are placed.
        var fromA = Client(SchoolA);
        var fromD = Client(SchoolD);
        var m1 = Server(SchoolA, capacity: 1);
        var m2 = Server(SchoolD, capacity: 1);
        var result = AssignmentEngine.Solve([fromA, fromD], [m1, m2], Mentors);
        Assert.Equal(2, result.Assignments.Count);
        Assert.Equal(0, result.TotalCost);
        Assert.Equal(result.DistanceLowerBound, result.DistanceCost);
    }

    [Fact]
    public void A_cross_school_group_is_at_least_one_step_from_any_guide()
    {
        var group = Client("37/3716/371602");
        var guide = Server(SchoolA, capacity: 5);
        var result = AssignmentEngine.Solve([group], [guide], new AssignmentSettings { ServerNoun = "指导教师" });
        Assert.Equal("同区县，学科学段一致，负荷 1/5", Assert.Single(result.Assignments).Explanation);
        Assert.Equal(10, result.TotalCost);
    }

    [Fact]
    public void A_guide_never_gets_a_group_they_are_a_member_of()
    {
        var member = Server(SchoolA, capacity: 5);
        var other = Server(SchoolD, capacity: 5);
        var group = Client(SchoolA) with { ExcludedServers = new HashSet<Guid> { member.Id } };
        var result = AssignmentEngine.Solve([group], [member, other], new AssignmentSettings { ServerNoun = "指导教师" });
        Assert.Equal(other.Id, Assert.Single(result.Assignments).ServerId);
    }

    [Fact]
    public void A_group_whose_only_guide_is_its_member_is_left_over_saying_so()
    {
        var member = Server(SchoolA, capacity: 5);
        var group = Client(SchoolA) with { ExcludedServers = new HashSet<Guid> { member.Id } };
        var schoolmate = Client(SchoolA);
        var result = AssignmentEngine.Solve([group, schoolmate], [member], new AssignmentSettings { ServerNoun = "指导教师" });
        Assert.Equal(schoolmate.Id, Assert.Single(result.Assignments).ClientId);
        Assert.Contains("本组成员，不能指导自己所在的组", Assert.Single(result.Unassigned).Reason);
    }

    [Fact]
    public void A_guide_appointed_outside_their_own_subject_says_so_with_the_reason_in_every_pair()
    {
        var guide = Server(SchoolA, capacity: 5) with { MatchNote = "跨学科学段聘任（原因：本区缺少初中数学骨干）" };
        var result = AssignmentEngine.Solve([Client(SchoolA), Client(SchoolA)], [guide], new AssignmentSettings { ServerNoun = "指导教师" });
        Assert.All(result.Assignments, p => Assert.Contains("跨学科学段聘任（原因：本区缺少初中数学骨干）", p.Explanation));
        Assert.All(result.Assignments, p => Assert.DoesNotContain("学科学段一致", p.Explanation));
    }

    [Fact]
    public void Optimal_on_many_small_random_cases_against_brute_force()
    {
        var random = new Random(20260607);
        string[] schools =
        [
            "37/3716/371602/A", "37/3716/371602/B", "37/3716/371603/C", "37/3716/371603/E", "37/3704/370402/D", "37/3704/370402/F",
            "37/3716/371602", "37/3704/370402",
        ];
        for (var round = 0; round < 600; round++)
        {
            var settings = new AssignmentSettings
            {
                DistanceWeight = random.Next(1, 12), LoadWeight = random.Next(0, 4), MaxDistance = random.Next(0, 4),
            };
            var clients = Enumerable.Range(0, random.Next(1, 8))
                .Select(_ => Client(schools[random.Next(schools.Length)], random.Next(4) == 0 ? "语文" : "数学")).ToList();
            var servers = Enumerable.Range(0, random.Next(0, 5)).Select(_ =>
            {
                var capacity = random.Next(1, 4);
                return Server(schools[random.Next(6)], capacity, random.Next(5) == 0 ? "语文" : "数学", existing: random.Next(0, capacity));
            }).ToList();
            // Some clients may not go to one server (a guide who is a member of the group).
            clients = [.. clients.Select(c => servers.Count > 0 && random.Next(3) == 0
                ? c with { ExcludedServers = new HashSet<Guid> { servers[random.Next(servers.Count)].Id } }
                : c)];

            var result = AssignmentEngine.Solve(clients, servers, settings);
            var (bestCount, bestCost) = BruteForce(clients, servers, settings);
            var context = $"round {round}: {clients.Count} clients, {servers.Count} servers, {settings}";
            Assert.True(bestCount == result.Assignments.Count, $"{context}: placed {result.Assignments.Count}, best {bestCount}");
            Assert.True(bestCost == result.TotalCost, $"{context}: cost {result.TotalCost}, best {bestCost}");
            AssertFeasible(clients, servers, settings, result);
        }
    }

    [Fact]
    public void A_larger_case_is_fast_and_feasible()
    {
        var random = new Random(7);
        var schools = Enumerable.Range(0, 400).Select(i => $"37/37{i % 4:00}/37{i % 4:00}{i % 20:00}/S{i}").ToArray();
        var clients = Enumerable.Range(0, 4000).Select(_ => Client(schools[random.Next(schools.Length)], random.Next(3) == 0 ? "语文" : "数学")).ToList();
        var servers = Enumerable.Range(0, 1000).Select(_ => Server(schools[random.Next(schools.Length)], random.Next(1, 5), random.Next(3) == 0 ? "语文" : "数学")).ToList();
        var result = AssignmentEngine.Solve(clients, servers, Mentors);
        AssertFeasible(clients, servers, Mentors, result);
        Assert.True(result.DistanceCost >= result.DistanceLowerBound);
    }

    private static void AssertFeasible(List<AssignmentClient> clients, List<AssignmentServer> servers, AssignmentSettings settings, AssignmentResult result)
    {
        var byId = servers.ToDictionary(s => s.Id);
        var loads = servers.ToDictionary(s => s.Id, s => s.ExistingLoad);
        Assert.Equal(clients.Select(c => c.Id).Order(), result.Assignments.Select(a => a.ClientId).Concat(result.Unassigned.Select(u => u.ClientId)).Order());
        long distanceCost = 0;
        foreach (var pair in result.Assignments)
        {
            var client = clients.Single(c => c.Id == pair.ClientId);
            var server = byId[pair.ServerId];
            Assert.Equal((client.Stage, client.Subject), (server.Stage, server.Subject));
            Assert.Equal(OrganisationDistance.Between(client.Path, server.Path), pair.Distance);
            Assert.True(pair.Distance <= settings.MaxDistance);
            Assert.False(client.Excludes(server.Id));
            loads[server.Id]++;
            distanceCost += (long)pair.Distance * settings.DistanceWeight;
        }
        Assert.All(servers, s => Assert.True(loads[s.Id] <= s.Capacity));
        Assert.Equal(distanceCost + servers.Sum(s => AssignmentEngine.LoadCost(s.ExistingLoad, loads[s.Id], settings.LoadWeight)), result.TotalCost);
    }

    /// <summary>Every way of giving each client one eligible server or none: the most placed, then the least cost.</summary>
    private static (int Count, long Cost) BruteForce(List<AssignmentClient> clients, List<AssignmentServer> servers, AssignmentSettings settings)
    {
        var loads = servers.Select(s => s.ExistingLoad).ToArray();
        var best = (Count: -1, Cost: long.MaxValue);
        void Search(int i, int count, long distanceCost)
        {
            if (i == clients.Count)
            {
                var cost = distanceCost + servers.Select((s, j) => AssignmentEngine.LoadCost(s.ExistingLoad, loads[j], settings.LoadWeight)).Sum();
                if (count > best.Count || (count == best.Count && cost < best.Cost))
                {
                    best = (count, cost);
                }
                return;
            }
            Search(i + 1, count, distanceCost);
            for (var j = 0; j < servers.Count; j++)
            {
                var s = servers[j];
                var distance = OrganisationDistance.Between(clients[i].Path, s.Path);
                if (s.Stage == clients[i].Stage && s.Subject == clients[i].Subject && distance <= settings.MaxDistance && loads[j] < s.Capacity
                    && !clients[i].Excludes(s.Id))
                {
                    loads[j]++;
                    Search(i + 1, count + 1, distanceCost + (distance * settings.DistanceWeight));
                    loads[j]--;
                }
            }
        }
        Search(0, 0, 0);
        return best;
    }
}
