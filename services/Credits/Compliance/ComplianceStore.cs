using System.Text.Json;
using Dapper;
using Npgsql;
using TrainingPlatform.Services.Credits.Policies;

namespace TrainingPlatform.Services.Credits.Compliance;

/// <summary>A teacher's evaluated standing, with what the roll-ups count it under.</summary>
public sealed record Standing(ComplianceResult Result, string SchoolPath, bool InPost, decimal Hours);

/// <summary>What <see cref="ComplianceRules"/> evaluates a teacher from, and where the roll-ups count them.</summary>
public sealed record ComplianceInputs(TeacherFacts Facts, IReadOnlyList<Credit> Credits, IReadOnlySet<int> FailedYears, string SchoolPath, bool InPost);

/// <summary>Loads what <see cref="ComplianceRules"/> needs for a teacher, and evaluates.</summary>
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
}
