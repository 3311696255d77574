using System.Text.Json;
using Dapper;
using Npgsql;
using TrainingPlatform.Services.Credits.Policies;

namespace TrainingPlatform.Services.Credits.Compliance;

/// <summary>A teacher's evaluated standing, with what the roll-ups count it under.</summary>
public sealed record Standing(ComplianceResult Result, string SchoolPath, bool InPost, decimal Hours);

/// <summary>Loads what <see cref="ComplianceRules"/> needs for a teacher, and evaluates.</summary>
public static class ComplianceStore
{
    public static async Task<ComplianceResult?> EvaluateAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid teacherId,
        CreditPolicy policy, DateOnly today, int? cycleStart, CancellationToken cancellationToken) =>
        (await StandingAsync(connection, transaction, teacherId, policy, today, cycleStart, cancellationToken))?.Result;

    public static async Task<Standing?> StandingAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid teacherId,
        CreditPolicy policy, DateOnly today, int? cycleStart, CancellationToken cancellationToken)
    {
        var teacher = await connection.QuerySingleOrDefaultAsync<TeacherFactsRow>(new CommandDefinition(
            "select id, hire_date, normal_school_graduate, class_teacher, school_path, in_post from teachers where id = @Id", new { Id = teacherId }, transaction,
            cancellationToken: cancellationToken));
        if (teacher is null)
        {
            return null;
        }
        var start = cycleStart ?? policy.CycleOf(today.Year).First;
        // The running balances, never the ledger: a handful of rows per teacher and year.
        var credits = (await connection.QueryAsync<CreditRow>(new CommandDefinition("""
            select hours, category, mode, level, source, year from balances
            where teacher_id = @Id and year between @Start and @End and hours <> 0
            """, new { Id = teacherId, Start = start, End = start + policy.CycleYears - 1 }, transaction, cancellationToken: cancellationToken)))
            .Select(c => new Credit(c.Hours, c.Category, c.Mode, c.Level, c.Source, c.Year)).ToList();
        var failed = (await connection.QueryAsync<int>(new CommandDefinition("select year from failed_years where teacher_id = @Id",
            new { Id = teacherId }, transaction, cancellationToken: cancellationToken))).ToHashSet();
        var result = ComplianceRules.Evaluate(policy, new TeacherFacts(teacher.Id, teacher.HireDate, teacher.NormalSchoolGraduate, teacher.ClassTeacher),
            credits, failed, today, start);
        return new Standing(result, teacher.SchoolPath, teacher.InPost, credits.Sum(c => c.Hours));
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
        public decimal Hours { get; init; }
        public string Category { get; init; } = "";
        public string Mode { get; init; } = "";
        public string Level { get; init; } = "";
        public string Source { get; init; } = "";
        public int Year { get; init; }
    }
}
