using System.Diagnostics;
using Dapper;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Credits;
using TrainingPlatform.Services.Credits.Certificates;
using TrainingPlatform.Services.Credits.Policies;

namespace TrainingPlatform.Services.Credits.Compliance;

/// <summary>
/// Saves a teacher's new standing and everything that follows from it, in the caller's transaction: the standing row,
/// the school roll-up (by difference from the previous standing, so it never needs a recount), the announcement when
/// the standing changed, and the certificate issued (under <c>policy</c>, the one the standings were evaluated under)
/// or revoked.
/// </summary>
public static class StandingBook
{
    private sealed record Previous
    {
        public Guid TeacherId { get; init; }
        public int CycleStart { get; init; }
        public string Overall { get; init; } = "";
        public string SchoolPath { get; init; } = "";
        public decimal Hours { get; init; }
        public bool Counted { get; init; }
    }

    /// <summary>
    /// Saves many standings in a few set-based statements: rows locked and written in teacher order (so two batches
    /// wait for each other instead of deadlocking), the roll-up differences summed per school first.
    /// </summary>
    public static async Task SaveAllAsync(UnitOfWork unitOfWork, IReadOnlyList<(Guid TeacherId, Standing Standing)> standings, CreditPolicy policy,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (standings.Count == 0)
        {
            return;
        }
        var keys = new { Teachers = standings.Select(s => s.TeacherId).ToArray(), Cycles = standings.Select(s => s.Standing.Result.CycleStart).ToArray() };
        var previous = (await unitOfWork.Connection.QueryAsync<Previous>(new CommandDefinition("""
            select c.teacher_id, c.cycle_start, c.overall, c.school_path, c.hours, c.counted
            from compliance c join unnest(@Teachers, @Cycles) as k (teacher_id, cycle_start) using (teacher_id, cycle_start)
            order by c.teacher_id, c.cycle_start
            for update of c
            """, keys, unitOfWork.Transaction, cancellationToken: cancellationToken))).ToDictionary(p => (p.TeacherId, p.CycleStart));
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into compliance (teacher_id, cycle_start, overall, summary, rules, evaluated_at, school_path, hours, counted)
            select teacher_id, cycle_start, overall, summary, rules::jsonb, @Now, school_path, hours, counted
            from unnest(@Teachers, @Cycles, @Overall, @Summary, @Rules, @SchoolPath, @Hours, @Counted)
                as s (teacher_id, cycle_start, overall, summary, rules, school_path, hours, counted)
            order by teacher_id, cycle_start
            on conflict (teacher_id, cycle_start) do update
            set overall = excluded.overall, summary = excluded.summary, rules = excluded.rules, evaluated_at = excluded.evaluated_at,
                school_path = excluded.school_path, hours = excluded.hours, counted = excluded.counted
            """, new
        {
            keys.Teachers,
            keys.Cycles,
            Overall = standings.Select(s => s.Standing.Result.Overall).ToArray(),
            Summary = standings.Select(s => s.Standing.Result.Summary).ToArray(),
            Rules = standings.Select(s => ComplianceStore.ToJson(s.Standing.Result)).ToArray(),
            SchoolPath = standings.Select(s => s.Standing.SchoolPath).ToArray(),
            Hours = standings.Select(s => s.Standing.Hours).ToArray(),
            Counted = standings.Select(s => s.Standing.InPost).ToArray(),
            Now = now,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));

        // Each standing moves its teacher out of the old count and into the new one.
        var moves = new List<RollupMove>();
        var changed = new List<(object, ActivityContext)>();
        var trace = Activity.Current?.Context ?? default;
        foreach (var (teacherId, standing) in standings)
        {
            var result = standing.Result;
            var before = previous.GetValueOrDefault((teacherId, result.CycleStart));
            if (before is { Counted: true })
            {
                moves.Add(new RollupMove(before.SchoolPath, result.CycleStart, before.Overall, before.Hours, -1));
            }
            if (standing.InPost)
            {
                moves.Add(new RollupMove(standing.SchoolPath, result.CycleStart, result.Overall, standing.Hours, +1));
            }
            if (before?.Overall != result.Overall)
            {
                changed.Add((new ComplianceChanged(teacherId, result.CycleStart, result.Overall, result.Summary, now), trace));
            }
        }
        await MoveAsync(unitOfWork, moves, cancellationToken);
        await unitOfWork.PublishAllAsync(changed, cancellationToken);
        await CertificateBook.SettleAllAsync(unitOfWork, [.. standings.Select(s => (s.TeacherId, s.Standing.Result))], policy, now, cancellationToken);
    }

    private sealed record RollupMove(string SchoolPath, int Cycle, string Overall, decimal Hours, int Sign);

    private static Task MoveAsync(UnitOfWork unitOfWork, IReadOnlyList<RollupMove> moves, CancellationToken cancellationToken) =>
        moves.Count == 0 ? Task.CompletedTask : unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into school_rollups as r (school_path, cycle_start, teachers, met, on_track, at_risk, not_met, not_started, hours)
            select school_path, cycle, sum(sign), sum(case when overall = 'met' then sign else 0 end),
                   sum(case when overall = 'on_track' then sign else 0 end), sum(case when overall = 'at_risk' then sign else 0 end),
                   sum(case when overall = 'not_met' then sign else 0 end), sum(case when hours = 0 then sign else 0 end), sum(sign * hours)
            from unnest(@SchoolPath, @Cycle, @Overall, @Hours, @Sign) as m (school_path, cycle, overall, hours, sign)
            group by school_path, cycle
            order by school_path, cycle
            on conflict (school_path, cycle_start) do update
            set teachers = r.teachers + excluded.teachers, met = r.met + excluded.met, on_track = r.on_track + excluded.on_track,
                at_risk = r.at_risk + excluded.at_risk, not_met = r.not_met + excluded.not_met, not_started = r.not_started + excluded.not_started,
                hours = r.hours + excluded.hours
            """, new
        {
            SchoolPath = moves.Select(m => m.SchoolPath).ToArray(),
            Cycle = moves.Select(m => m.Cycle).ToArray(),
            Overall = moves.Select(m => m.Overall).ToArray(),
            Hours = moves.Select(m => m.Hours).ToArray(),
            Sign = moves.Select(m => m.Sign).ToArray(),
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
}
