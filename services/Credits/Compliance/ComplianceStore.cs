using System.Diagnostics;
using System.Text.Json;
using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Credits;
using TrainingPlatform.Services.Credits.Certificates;
using TrainingPlatform.Services.Credits.Policies;

namespace TrainingPlatform.Services.Credits.Compliance;

/// <summary>A teacher's evaluated standing, with what the roll-ups count it under.</summary>
public sealed record Standing(ComplianceResult Result, string SchoolPath, bool InPost, decimal Hours);

/// <summary>What <see cref="ComplianceRules"/> evaluates a teacher from, and where the roll-ups count them.</summary>
public sealed record ComplianceInputs(TeacherFacts Facts, IReadOnlyList<Credit> Credits, IReadOnlySet<int> FailedYears, string SchoolPath, bool InPost);

/// <summary>
/// Loads what <see cref="ComplianceRules"/> needs for a teacher, and evaluates; keeps the standings, the school
/// roll-ups and the queue of teachers to evaluate again.
/// </summary>
public static class ComplianceStore
{
    public static async Task<ComplianceResult?> EvaluateAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid teacherId,
        CreditPolicy policy, DateOnly today, int? cycleStart, CancellationToken cancellationToken) =>
        (await StandingAsync(connection, transaction, teacherId, policy, today, cycleStart, cancellationToken))?.Result;

    public static async Task<Standing?> StandingAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid teacherId,
        CreditPolicy policy, DateOnly today, int? cycleStart, CancellationToken cancellationToken) =>
        (await StandingsAsync(connection, transaction, [teacherId], policy, today, cycleStart ?? policy.CycleOf(today.Year).First, cancellationToken))
        .Select(s => s.Standing).FirstOrDefault();

    /// <summary>
    /// The standings of many teachers in three queries whatever their number: in <paramref name="onlyCycle"/>, or else
    /// in every cycle a teacher has balances in (a reversal that emptied an old cycle still counts) and the current
    /// one. Teachers Credits has no profile for are left out.
    /// </summary>
    public static async Task<IReadOnlyList<(Guid TeacherId, Standing Standing)>> StandingsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction,
        IReadOnlyCollection<Guid> teacherIds, CreditPolicy policy, DateOnly today, int? onlyCycle, CancellationToken cancellationToken)
    {
        var inputs = await InputsAsync(connection, transaction, teacherIds, cancellationToken);
        var standings = new List<(Guid, Standing)>();
        foreach (var teacherId in teacherIds.Distinct())
        {
            if (!inputs.TryGetValue(teacherId, out var input))
            {
                continue;
            }
            var cycles = onlyCycle is { } only ? [only]
                : input.Credits.Select(r => policy.CycleOf(r.Year).First).Append(policy.CycleOf(today.Year).First).Distinct().Order().ToList();
            foreach (var start in cycles)
            {
                var credits = input.Credits.Where(r => r.Hours != 0 && r.Year >= start && r.Year <= start + policy.CycleYears - 1).ToList();
                var result = ComplianceRules.Evaluate(policy, input.Facts, credits, input.FailedYears, today, start);
                standings.Add((teacherId, new Standing(result, input.SchoolPath, input.InPost, credits.Sum(c => c.Hours))));
            }
        }
        return standings;
    }

    /// <summary>
    /// What compliance is computed from, per teacher: their facts, their balances as credits (every year, zero rows
    /// included) and their failed years. Teachers Credits has no profile for are left out.
    /// </summary>
    public static async Task<IReadOnlyDictionary<Guid, ComplianceInputs>> InputsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction,
        IReadOnlyCollection<Guid> teacherIds, CancellationToken cancellationToken)
    {
        var ids = new { Ids = teacherIds.ToArray() };
        var teachers = (await connection.QueryAsync<TeacherFactsRow>(new CommandDefinition(
            "select id, hire_date, normal_school_graduate, class_teacher, school_path, in_post from teachers where id = any(@Ids)", ids, transaction,
            cancellationToken: cancellationToken))).ToDictionary(t => t.Id);
        // The running balances, never the ledger: a handful of rows per teacher and year.
        var balances = (await connection.QueryAsync<CreditRow>(new CommandDefinition("""
            select teacher_id, hours, category, mode, level, source, year from balances where teacher_id = any(@Ids)
            """, ids, transaction, cancellationToken: cancellationToken))).ToLookup(c => c.TeacherId);
        var failedYears = (await connection.QueryAsync<(Guid TeacherId, int Year)>(new CommandDefinition(
            "select teacher_id, year from failed_years where teacher_id = any(@Ids)", ids, transaction, cancellationToken: cancellationToken)))
            .ToLookup(f => f.TeacherId, f => f.Year);
        return teachers.Values.ToDictionary(t => t.Id, t => new ComplianceInputs(
            new TeacherFacts(t.Id, t.HireDate, t.NormalSchoolGraduate, t.ClassTeacher),
            [.. balances[t.Id].Select(c => new Credit(c.Hours, c.Category, c.Mode, c.Level, c.Source, c.Year))],
            failedYears[t.Id].ToHashSet(), t.SchoolPath, t.InPost));
    }

    public static string ToJson(ComplianceResult result) => JsonSerializer.Serialize(result.Rules, PolicyStore.Json);

    private sealed record TeacherFactsRow
    {
        public Guid Id { get; init; }
        public DateOnly HireDate { get; init; }
        public bool NormalSchoolGraduate { get; init; }
        public bool ClassTeacher { get; init; }
        public string SchoolPath { get; init; } = "";
        public bool InPost { get; init; }
    }

    private sealed record CreditRow
    {
        public Guid TeacherId { get; init; }
        public decimal Hours { get; init; }
        public string Category { get; init; } = "";
        public string Mode { get; init; } = "";
        public string Level { get; init; } = "";
        public string Source { get; init; } = "";
        public int Year { get; init; }
    }

    /// <summary>
    /// Takes up to <paramref name="batchSize"/> of the teachers marked for evaluation, oldest mark first, skipping
    /// those another replica is taking: they leave the queue when the caller's transaction commits.
    /// </summary>
    public static async Task<IReadOnlyList<Guid>> ClaimDirtyAsync(UnitOfWork unitOfWork, int batchSize, CancellationToken cancellationToken) =>
        [.. await unitOfWork.Connection.QueryAsync<Guid>(new CommandDefinition("""
            delete from compliance_dirty where teacher_id in (
                select teacher_id from compliance_dirty order by marked_at limit @BatchSize for update skip locked)
            returning teacher_id
            """, new { BatchSize = batchSize }, unitOfWork.Transaction, cancellationToken: cancellationToken))];

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
    /// Saves teachers' new standings and everything that follows from them, in the caller's transaction: the standing
    /// rows, the school roll-ups (by difference from the previous standing, so they never need a recount), the
    /// announcement when a standing changed, and the certificates issued (under <c>policy</c>, the one the standings
    /// were evaluated under) or revoked.
    /// <para>
    /// Many standings in a few set-based statements: rows locked and written in teacher order (so two batches
    /// wait for each other instead of deadlocking), the roll-up differences summed per school first.
    /// </para>
    /// </summary>
    public static async Task SaveAllAsync(UnitOfWork unitOfWork, IReadOnlyList<(Guid TeacherId, Standing Standing)> standings, CreditPolicy policy,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (standings.Count == 0)
        {
            return;
        }
        var keys = new { Teachers = standings.Select(s => s.TeacherId).ToArray(), Cycles = standings.Select(s => s.Standing.Result.CycleStart).ToArray() };
        // A teacher's first standing has no row to lock: two evaluations at once (the evaluator and a district's bulk
        // issue) would both find none and both count the teacher into the school's roll-up. A placeholder, never
        // counted and never committed (the upsert below overwrites it), makes the second wait for the first at this
        // insert and then read, and move from, what the first saved.
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into compliance (teacher_id, cycle_start, overall, summary, rules, evaluated_at, counted)
            select teacher_id, cycle_start, '', '', '[]', now(), false
            from unnest(@Teachers, @Cycles) as k (teacher_id, cycle_start)
            order by teacher_id, cycle_start
            on conflict (teacher_id, cycle_start) do nothing
            """, keys, unitOfWork.Transaction, cancellationToken: cancellationToken));
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
            if (before?.Overall != result.Overall) // a placeholder's is empty
            {
                changed.Add((new ComplianceChanged(teacherId, result.CycleStart, result.Overall, result.Summary, now), trace));
            }
        }
        await MoveAsync(unitOfWork, moves, cancellationToken);
        await unitOfWork.PublishAllAsync(changed, cancellationToken);
        await CertificateStore.SettleAllAsync(unitOfWork, [.. standings.Select(s => (s.TeacherId, s.Standing.Result))], policy, now, cancellationToken);
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
