using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Services.Credits.Policies;

namespace TrainingPlatform.Services.Credits.Reports;

/// <summary>The reports' reads: the school roll-ups and the standings the evaluator keeps, never the ledger.</summary>
public static class ReportStore
{
    /// <summary>The cycle asked for (the current one by default) and the scope parameters of <paramref name="root"/>.</summary>
    public static async Task<(int Cycle, DynamicParameters Parameters)> ParametersAsync(NpgsqlConnection connection, string root, int? cycleYear,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var policy = await PolicyStore.ActiveAsync(connection, null, cancellationToken);
        var cycle = policy.CycleOf(cycleYear ?? ProvinceCalendar.Today(clock).Year).First;
        var parameters = new DynamicParameters(PlatformUser.ScopeParametersFor(root));
        parameters.Add("Cycle", cycle);
        parameters.Add("Depth", root.Length == 0 ? 1 : root.Split('/').Length + 1);
        return (cycle, parameters);
    }

    /// <summary>One line per unit directly below the root, from the school roll-ups: tens of thousands of rows for a province.</summary>
    public static async Task<IReadOnlyList<RollupLine>> RollupAsync(NpgsqlConnection connection, DynamicParameters parameters,
        CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<RollupLine>(new CommandDefinition($"""
            select array_to_string((string_to_array(r.school_path, '/'))[1:@Depth], '/') as unit,
                   sum(r.teachers) as teachers, sum(r.met) as met, sum(r.on_track) as on_track, sum(r.at_risk) as at_risk,
                   sum(r.not_met) as not_met, sum(r.not_started) as not_started, sum(r.certificates) as certificates,
                   coalesce(round(sum(r.hours) / nullif(sum(r.teachers), 0), 1), 0) as average_hours
            from school_rollups r
            where r.cycle_start = @Cycle and {PlatformUser.ScopeSql("r.school_path")}
            group by 1
            having sum(r.teachers) > 0
            order by 1
            """, parameters, cancellationToken: cancellationToken))];

    /// <summary>In-post teachers in scope with their standing, filtered by <c>@Status</c>, at most <c>@Limit</c>.</summary>
    public static async Task<IReadOnlyList<ComplianceLine>> LinesAsync(NpgsqlConnection connection, DynamicParameters parameters,
        CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<ComplianceLine>(new CommandDefinition($"""
            select c.teacher_id, t.name, c.school_path, t.stage, t.subject, c.hours, c.overall, c.summary,
                   (select number from certificates x where x.teacher_id = c.teacher_id and x.cycle_start = @Cycle and x.revoked_at is null) as certificate_number
            from compliance c join teachers t on t.id = c.teacher_id
            where c.cycle_start = @Cycle and c.counted and {PlatformUser.ScopeSql("c.school_path")}
              and (@Status is null or c.overall = @Status or (@Status = 'not_started' and c.hours = 0))
            order by c.school_path, t.name
            limit @Limit
            """, parameters, cancellationToken: cancellationToken))];
}
