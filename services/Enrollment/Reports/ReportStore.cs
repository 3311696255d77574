using System.Runtime.CompilerServices;
using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Services.Enrollment.Electives;

namespace TrainingPlatform.Services.Enrollment.Reports;

/// <summary>What a report covers: a program year, as of a day, for the teachers at and below <see cref="Root"/>.</summary>
public sealed record ReportScope(YearRow Year, DateOnly Today, string Root, OrganisationName? Organisation)
{
    public TeacherYearFigures Figures(TeacherYearRow row) =>
        new(row.OptedOut, row.OptOutStatement, row.Started, row.HoursDone, row.ElectiveHours, row.SelectionCloses);

    public ProgressVerdict Assess(TeacherYearRow row) => ProgressStatus.Assess(Year, Today, Figures(row));

    internal DynamicParameters Parameters()
    {
        var parameters = new DynamicParameters(PlatformUser.ScopeParametersFor(Root));
        parameters.AddDynamicParams(new
        {
            YearId = Year.Id,
            Year.MinAnnualHours,
            Year.MinElectiveHours,
            ExpectedHours = ProgressStatus.ExpectedHours(Year, Today),
            Today,
            DefaultSelectionCloses = Year.StudyStarts.AddDays(-1),
        });
        return parameters;
    }
}

/// <summary>One in-post teacher's year, summed in SQL.</summary>
public sealed record TeacherYearRow
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string SchoolPath { get; init; } = "";
    public string SchoolName { get; init; } = "";
    public string Stage { get; init; } = "";
    public string Subject { get; init; } = "";
    public decimal RequiredHours { get; init; }
    public decimal ElectiveHours { get; init; }
    public decimal HoursDone { get; init; }
    public bool Started { get; init; }
    public bool OptedOut { get; init; }
    public string? OptOutStatement { get; init; }
    public DateOnly SelectionCloses { get; init; }
    public string Status { get; init; } = "";

    /// <summary>How many teachers match the query this row came from (all pages).</summary>
    public long Total { get; init; }

    public string SchoolCode => SchoolPath[(SchoolPath.LastIndexOf('/') + 1)..];
}

/// <summary>An organisation as reports name it (from the copy of the organisation tree, <c>OrganisationRegisteredCopy</c>).</summary>
public sealed record OrganisationName
{
    public string Code { get; init; } = "";
    public string Name { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Path { get; init; } = "";
}

/// <summary>One group of the roll-up (a county, a township or a school), or the total when <see cref="Path"/> is null.</summary>
public sealed record RollUpRow
{
    public string? Path { get; init; }
    public string? Code { get; init; }
    public string? Name { get; init; }
    public string? Kind { get; init; }
    public int Teachers { get; init; }
    public int Completed { get; init; }
    public int OnTrack { get; init; }
    public int Behind { get; init; }
    public int NotStarted { get; init; }
    public int OptedOut { get; init; }
    public decimal AverageHours { get; init; }
    public decimal CompletionRate { get; init; }
}

/// <summary>
/// The reports' SQL: one set-based statement each. Teachers in post below the root (the teacher copy's school path,
/// by prefix), their enrollments of the year summed per teacher, their opt-out and the course-selection close that
/// applies to their school (<c>WindowRules</c>: the adjustment on the deepest organisation above, the newest on the
/// same one; else the day before study starts), then <see cref="ProgressStatus.SqlCase"/>.
/// </summary>
public static class ReportStore
{
    /// <summary>The organisation a code stands for (the newest, should a code have moved).</summary>
    public static Task<OrganisationName?> OrganisationAsync(NpgsqlConnection connection, string code, CancellationToken cancellationToken) =>
        connection.QueryFirstOrDefaultAsync<OrganisationName>(new CommandDefinition(
            "select code, name, kind, path from organisations where code = @Code order by updated_at desc",
            new { Code = code }, cancellationToken: cancellationToken));

    /// <summary>The organisation at a path.</summary>
    public static Task<OrganisationName?> OrganisationAtAsync(NpgsqlConnection connection, string path, CancellationToken cancellationToken) =>
        connection.QueryFirstOrDefaultAsync<OrganisationName>(new CommandDefinition(
            "select code, name, kind, path from organisations where path = @Path order by updated_at desc",
            new { Path = path }, cancellationToken: cancellationToken));

    // "teachers" is named twice rather than once in a CTE: a CTE used more than once is materialised without statistics,
    // and the planner, blind, chose nested loops over 50,000 × 200 rows (35 s for a city). The selection window is looked
    // up per teacher in the year's few adjustments (usually none), not joined per school, for the same reason.
    private static readonly string InScope = $"t.in_post and {PlatformUser.ScopeSql("t.school_path")}";

    private static readonly string TeacherYears = $"""
        with figures as (
            select e.teacher_id,
                   coalesce(sum(c.hours) filter (where e.kind = 'required'), 0) as required_hours,
                   coalesce(sum(c.hours) filter (where e.kind = 'elective'), 0) as elective_hours,
                   coalesce(sum(c.hours) filter (where e.status = 'completed'), 0) as hours_done,
                   bool_or(e.status = 'completed' or e.minutes_studied > 0 or e.percent > 0 or e.test_passed or e.assignment_handed_in) as started
            from teachers t
            join enrollments e on e.teacher_id = t.id
            left join courses c on c.id = e.course_id
            where {InScope} and e.program_year_id = @YearId and e.status <> 'withdrawn'
            group by e.teacher_id
        ),
        adjustments as materialized (
            select organisation_path, closes_on, adjusted_at from window_adjustments
            where program_year_id = @YearId and window_name = 'course_selection'
        ),
        figured as (
            select t.id, t.name, t.school_path, t.stage, t.subject,
                   coalesce(f.required_hours, 0) as required_hours, coalesce(f.elective_hours, 0) as elective_hours,
                   coalesce(f.hours_done, 0) as hours_done, coalesce(f.started, false) as started,
                   o.teacher_id is not null as opted_out, o.statement_reference as opt_out_statement,
                   coalesce((select a.closes_on from adjustments a
                             where t.school_path = a.organisation_path or starts_with(t.school_path, a.organisation_path || '/')
                             order by length(a.organisation_path) desc, a.adjusted_at desc
                             limit 1), @DefaultSelectionCloses) as selection_closes
            from teachers t
            left join figures f on f.teacher_id = t.id
            left join opt_outs o on o.teacher_id = t.id and o.program_year_id = @YearId
            where {InScope}
        ),
        teacher_years as (
            select figured.*, {ProgressStatus.SqlCase} as status
            from figured
        )
        """;

    /// <summary>The teachers matching <c>@Status</c> (null: all), in school and name order; <c>total</c> counts them all.</summary>
    private static string TeacherRowsSql(string tail) => $"""
        {TeacherYears}
        select y.id, y.name, y.school_path, coalesce(org.name, '') as school_name, y.stage, y.subject, y.required_hours, y.elective_hours,
               y.hours_done, y.started, y.opted_out, y.opt_out_statement, y.selection_closes, y.status, count(*) over () as total
        from teacher_years y
        left join organisations org on org.path = y.school_path
        where (@Status::text is null or y.status = @Status)
        order by y.school_path, y.name, y.id
        {tail}
        """;

    private static readonly string AllRowsSql = TeacherRowsSql("");
    private static readonly string PageSql = TeacherRowsSql("limit @Limit offset @Offset");

    /// <summary>A page of teachers (<paramref name="status"/> null: all), and how many match.</summary>
    public static async Task<(IReadOnlyList<TeacherYearRow> Rows, long Total)> PageAsync(NpgsqlConnection connection, ReportScope scope,
        string? status, int limit, long offset, CancellationToken cancellationToken)
    {
        var parameters = scope.Parameters();
        parameters.AddDynamicParams(new { Status = status, Limit = limit, Offset = offset });
        var rows = (await connection.QueryAsync<TeacherYearRow>(new CommandDefinition(PageSql, parameters, cancellationToken: cancellationToken))).ToList();
        if (rows.Count == 0 && offset > 0)
        {
            // A page past the end still tells how many there are.
            var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                $"select count(*) from ({AllRowsSql}) counted", parameters, cancellationToken: cancellationToken));
            return ([], total);
        }
        return (rows, rows.Count == 0 ? 0 : rows[0].Total);
    }

    /// <summary>Every matching teacher, read as the caller goes (unbuffered), for exports.</summary>
    public static async IAsyncEnumerable<TeacherYearRow> StreamAsync(NpgsqlConnection connection, ReportScope scope, string? status,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var parameters = scope.Parameters();
        parameters.Add("Status", status);
        await foreach (var row in connection.QueryUnbufferedAsync<TeacherYearRow>(AllRowsSql, parameters).WithCancellation(cancellationToken))
        {
            yield return row;
        }
    }

    /// <summary>
    /// Counts per group <paramref name="depth"/> levels deep (<see cref="ProgressStatus.RollUpDepth"/>), and the total
    /// (the row whose path is null) in the same statement.
    /// </summary>
    public static async Task<IReadOnlyList<RollUpRow>> RollUpAsync(NpgsqlConnection connection, ReportScope scope, int depth,
        CancellationToken cancellationToken)
    {
        var parameters = scope.Parameters();
        parameters.Add("Depth", depth);
        return [.. await connection.QueryAsync<RollUpRow>(new CommandDefinition($"""
            {TeacherYears},
            grouped as (
                select case when grouping(g.path) = 0 then g.path end as path,
                       count(*)::int as teachers,
                       count(*) filter (where g.status = 'completed')::int as completed,
                       count(*) filter (where g.status = 'on_track')::int as on_track,
                       count(*) filter (where g.status = 'behind')::int as behind,
                       count(*) filter (where g.status = 'not_started')::int as not_started,
                       count(*) filter (where g.status = 'opted_out')::int as opted_out,
                       round(avg(g.hours_done), 1) as average_hours,
                       round(100.0 * count(*) filter (where g.status = 'completed') / count(*), 1) as completion_rate
                from (select array_to_string((string_to_array(school_path, '/'))[1:@Depth], '/') as path, status, hours_done
                      from teacher_years) g
                group by grouping sets ((g.path), ())
            )
            select grouped.*, coalesce(org.code, split_part(grouped.path, '/', -1)) as code, org.name, org.kind
            from grouped left join organisations org on org.path = grouped.path
            order by grouped.path nulls first
            """, parameters, cancellationToken: cancellationToken))];
    }
}
