using System.Diagnostics;
using Aspire.Hosting;
using TrainingPlatform.PlatformTesting;
using TrainingPlatform.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace TrainingPlatform.AppHost.Tests;

/// <summary>
/// The failure rehearsal's short version (benchmarks/FaultRun <c>--cluster</c> is the long one): the platform in
/// cluster mode with two Enrollment replicas, under a small steady load of progress reports and elective choices through
/// the gateway, loses a RabbitMQ node (started again later), its PostgreSQL primary (the standby promoted, as a failover
/// manager would) and an Enrollment replica — and afterwards every request answered with success is in the database
/// (the promoted primary), with its events applied once and none twice.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ClusterRehearsalTests(ITestOutputHelper output)
{
    /// <summary>For every wait on a condition: CI is a loaded two-core machine.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_lost_broker_node_primary_and_replica_lose_no_committed_write_and_duplicate_nothing()
    {
        var clock = Stopwatch.StartNew();
        await using var platform = await RunningPlatform.StartAsync(["--cluster", "--replicas", "enrollment=2"]);
        output.WriteLine($"platform healthy after {clock.Elapsed.TotalSeconds:0} s");
        try
        {
            using var load = await GatewayLoad.PrepareAsync(platform, clock, schools: 1, teachersPerSchool: 20);
            using var stopLoad = new CancellationTokenSource();
            var running = load.RunAsync(reportRate: 4, electiveRate: 2, stopLoad.Token);
            await SucceedsAfterAsync(load, DateTimeOffset.UtcNow, "the load before any fault");

            // The broker node every service connected to first dies; their connections move to the others, and the
            // events of writes made meanwhile still reach Credits. It comes back and rejoins.
            var faults = new List<Fault>();
            var start = load.Kill("RabbitMQ node rabbit-1 killed (-9)", "messaging-rabbit-1", killTree: true);
            var completedBefore = load.CompletedOk.Count;
            await Eventually.HoldsAsync(async () => load.CompletedOk.Count > completedBefore + 5 && (await load.CountAsync()).CreditsApplied > completedBefore + 5,
                Patience, "completions made with rabbit-1 down applied in Credits");
            var end = await load.StartAgainAsync("messaging-rabbit-1");
            await WaitHealthyAsync(platform, "messaging-rabbit-1");
            faults.Add(new Fault("RabbitMQ node rabbit-1 killed, down", start, end));

            // The primary dies; the rehearsal promotes the standby, and the services find it by their connection strings.
            start = load.Kill("PostgreSQL primary killed (-9)", "postgres", killTree: false);
            end = await load.PromoteStandbyAsync();
            await SucceedsAfterAsync(load, end, "requests after the standby's promotion");
            faults.Add(new Fault("PostgreSQL primary killed, standby promoted after", start, end));

            // A replica dies; the gateway sends to the other.
            start = load.Kill("enrollment replica 2 killed (-9)", "enrollment-2", killTree: false, serviceProcess: true);
            await SucceedsAfterAsync(load, start, "requests with one Enrollment replica");
            end = await load.StartAgainAsync("enrollment-2");
            await WaitHealthyAsync(platform, "enrollment-2");
            faults.Add(new Fault("enrollment replica 2 killed, restarted after", start, end));
            await SucceedsAfterAsync(load, DateTimeOffset.UtcNow, "requests after every fault");

            await stopLoad.CancelAsync();
            await running;
            var counts = await load.DrainAsync(Patience);
            foreach (var line in load.RequestLines())
            {
                output.WriteLine(line);
            }
            for (var i = 0; i < faults.Count; i++)
            {
                output.WriteLine(load.FaultLine(faults[i], i + 1 < faults.Count ? faults[i + 1].Start : DateTimeOffset.UtcNow));
            }
            output.WriteLine($"completed: {load.CompletedOk.Count} succeeded, {counts.CompletedOfSucceeded(load.CompletedOk)} found; " +
                             $"chosen: {load.ChosenOk.Count} succeeded, {counts.ChosenOfSucceeded(load.ChosenOk)} found; " +
                             $"enrollments duplicated {counts.EnrollmentsDuplicated}; ledger {counts.CreditsApplied}/{counts.Completed}, duplicated {counts.CreditsDuplicated}; " +
                             $"mentoring {counts.MentoringCompleted}/{counts.Completed} completed, {counts.MentoringElectives}/{counts.Electives} electives");

            Assert.NotEmpty(load.CompletedOk);
            Assert.Equal(load.CompletedOk.Count, counts.CompletedOfSucceeded(load.CompletedOk));
            Assert.Equal(load.ChosenOk.Count, counts.ChosenOfSucceeded(load.ChosenOk));
            Assert.Equal(0, counts.EnrollmentsDuplicated);
            Assert.Equal(0, counts.CreditsDuplicated);
            Assert.True(counts.Drained, "every completion and choice committed has its events applied in Credits and Mentoring");
        }
        catch
        {
            output.WriteLine(platform.LastLines(150));
            throw;
        }
    }

    private static Task SucceedsAfterAsync(GatewayLoad load, DateTimeOffset since, string what) =>
        Eventually.HoldsAsync(() => Task.FromResult(load.Outcomes.Any(o => o.SentAt >= since && o.Succeeded)), Patience, $"a success: {what}");

    private static async Task WaitHealthyAsync(RunningPlatform platform, string resource)
    {
        using var patience = new CancellationTokenSource(Patience);
        await platform.App.ResourceNotifications.WaitForResourceHealthyAsync(resource, patience.Token);
    }
}
