using System.Runtime.CompilerServices;
using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Services.Enrollment.Electives;

namespace TrainingPlatform.Services.Enrollment.Reports;

/// <summary>
/// Running tallies of this year's study (issue 17), one row per teacher and program year in <c>progress_tallies</c>.
/// <para>
/// <b>What is stored.</b> Figures only: hours chosen by kind (required / elective, withdrawn left out), hours done
/// (completed courses), started, opted out (with the statement), and the teacher's school path, name, stage, subject and
/// in-post flag copied from the teacher copy. The status is never stored: <see cref="ProgressStatus"/>'s pure rules
/// (<see cref="ProgressStatus.Assess"/>, <see cref="ProgressStatus.SqlCase"/>) decide it when read, from these figures,
/// the day, the year's minimums and the school's course-selection close — which is the same for every teacher of a
/// school, so it is looked up once per school, not stored per teacher (a window adjustment then moves no tally). The
/// generated <c>phase</c> (opted_out / not_started / started) is the date-free part of the status, for the index.
/// </para>
/// <para>
/// <b>How it is kept.</b> Not by deltas: every write that moves a teacher's figures (choosing, dropping, a promotion
/// from a waiting list, progress and completion, an opt-out, required courses pushed or withdrawn, a new teacher
/// profile — transfer, stage or subject change, leaving post — and a course's hours changing) ends, in its own
/// transaction, with <see cref="RefreshAsync"/>: it locks the teachers' copy rows (in id order) and recomputes their
/// rows from their enrollments in one set-based statement over the (teacher, year) index — a handful of rows each.
/// Recomputing rather than adding deltas makes duplicate, late and out-of-order progress harmless by construction
/// (the enrollment already merged them), and the lock makes it exact under replicas: the statement that recomputes
/// starts after the lock is granted, so it sees every other writer of that teacher committed (READ COMMITTED takes a
/// snapshot per statement), and no two writers can each write figures that miss the other's change.
/// </para>
/// <para>
/// <b>Hot units.</b> The only row a write locks is its own teacher's: two replicas at course-selection peak contend only
/// when the same teacher clicks twice at once. A school (tens to a few hundred teachers) rolls its teachers' rows up
/// at read time through <c>ix_progress_tallies_school</c>. Per-school rows updated in the same transaction would make
/// every choice of a school queue on one row for the length of the other's commit (a 2,000-teacher school choosing in
/// the first minute of the window serialises on it), so county / city / province roll-ups are to be read from per-school
/// rows maintained by a periodic set-based fold of the teachers' rows changed since the last fold (issue 17, left for
/// the next step); until then they sum teachers' rows, which is already a scan of one narrow table, not of enrollments.
/// </para>
/// <para>
/// <b>Rebuild and check.</b> <see cref="RebuildBatchAsync"/> recomputes every tally, a batch of teachers per
/// transaction under the same locks (so it never overwrites a newer write), for a rebuild an operator asks for or the
/// migration queued; <see cref="CheckAsync"/> compares a year's tallies with <see cref="ReportStore"/>'s scan of the
/// enrollments, the oracle, and lists each teacher whose figures or status differ.
/// </para>
/// </summary>
public static class ProgressTallyStore
{
    /// <summary>
    /// Locks the teachers' copy rows in id order, so writers of the same teacher queue and two batches cannot deadlock.
    /// The order is teacher, then enrollments, for every writer that locks existing enrollments: a progress batch, a drop
    /// and the required push lock the teachers first (the teacher copy's consumer does anyway: its upsert holds the
    /// teacher row while it withdraws required courses). A choice only inserts, so it may lock its teacher last.
    /// </summary>
    public static Task LockAsync(UnitOfWork unitOfWork, IEnumerable<Guid> teacherIds, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
            "select id from teachers where id = any(@Teachers) order by id for no key update",
            new { Teachers = teacherIds.Distinct().ToArray() }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Recomputes the teachers' rows from their enrollments under their locks: of <paramref name="yearId"/>, or of every
    /// year when null. One round trip: the lock, then the recomputation as a second statement of the same command, whose
    /// snapshot is taken once the lock is granted.
    /// </summary>
    public static async Task RefreshAsync(UnitOfWork unitOfWork, IEnumerable<Guid> teacherIds, CancellationToken cancellationToken,
        Guid? yearId = null)
    {
        var teachers = teacherIds.Distinct().Order().ToArray();
        if (teachers.Length == 0)
        {
            return;
        }
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
            "select id from teachers where id = any(@Teachers) order by id for no key update;\n" + RefreshSql,
            new { Teachers = teachers, YearId = yearId }, unitOfWork.Transaction, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// A choice's refresh, as a delta, sent in the choice's own batch right after the insert of enrollment
    /// <c>@EnrollmentId</c> (<c>@TeacherId</c>, <c>@YearId</c>, <c>@CourseId</c>): the elective just inserted (enrolled,
    /// nothing studied) adds only its course's hours to the elective hours, so under the teacher's lock — every writer of
    /// a teacher's tally recomputes or moves it under that lock, so the row is exact when granted — adding them gives what
    /// <see cref="RefreshAsync"/> would compute, for a fraction of its cost on course-selection day (pg_stat_statements put
    /// the recomputation at most of PostgreSQL's time per choice). The hours are the course copy's at this statement, as
    /// the recomputation reads them. Nothing moves when the insert did not happen; no row returned while the enrollment
    /// was inserted means the teacher has no row of the year yet: then <see cref="RefreshAsync"/>.
    /// </summary>
    public const string AddElectiveSql = """
        select id from teachers where id = @TeacherId for no key update;
        update progress_tallies
        set elective_hours = elective_hours + coalesce((select hours from courses where id = @CourseId), 0), updated_at = now(), dirty = true
        where teacher_id = @TeacherId and program_year_id = @YearId and exists (select 1 from enrollments where id = @EnrollmentId)
        returning 1;
        """;

    /// <summary>Refreshes every teacher enrolled in the course (its hours changed), a set-based statement.</summary>
    public static async Task RefreshCourseAsync(UnitOfWork unitOfWork, Guid courseId, CancellationToken cancellationToken)
    {
        var teachers = await unitOfWork.Connection.QueryAsync<Guid>(new CommandDefinition(
            "select distinct teacher_id from enrollments where course_id = @CourseId and status <> 'withdrawn'",
            new { CourseId = courseId }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        await RefreshAsync(unitOfWork, teachers, cancellationToken);
    }

    /// <summary>
    /// A year just arrived: every teacher gets a row of it (nothing chosen yet). Rows a concurrent refresh wrote win.
    /// The teacher copy is locked against writers meanwhile (SHARE: the choices' row locks pass): a teacher arriving at
    /// the same moment either commits first, and is seen here, or waits, and its own refresh then sees the year.
    /// </summary>
    public static Task AddYearAsync(UnitOfWork unitOfWork, Guid yearId, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            lock table teachers in share mode;
            insert into progress_tallies (teacher_id, program_year_id, school_path, name, stage, subject, in_post, required_hours, elective_hours,
                                          hours_done, started, opted_out, opt_out_statement, updated_at)
            select t.id, @YearId, t.school_path, t.name, t.stage, t.subject, t.in_post, 0, 0, 0, false, false, null, now()
            from teachers t
            on conflict (teacher_id, program_year_id) do nothing
            """, new { YearId = yearId }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    // The figures summed exactly as ReportStore sums them (the oracle): withdrawn enrollments left out, a course's hours
    // from the course copy (none while it has not arrived), started as any study at all.
    private const string RefreshSql = """
        with figures as (
            select e.teacher_id, e.program_year_id,
                   coalesce(sum(c.hours) filter (where e.kind = 'required'), 0) as required_hours,
                   coalesce(sum(c.hours) filter (where e.kind = 'elective'), 0) as elective_hours,
                   coalesce(sum(c.hours) filter (where e.status = 'completed'), 0) as hours_done,
                   bool_or(e.status = 'completed' or e.minutes_studied > 0 or e.percent > 0 or e.test_passed or e.assignment_handed_in) as started
            from enrollments e
            left join courses c on c.id = e.course_id
            where e.teacher_id = any(@Teachers) and e.status <> 'withdrawn' and (@YearId::uuid is null or e.program_year_id = @YearId)
            group by e.teacher_id, e.program_year_id
        )
        insert into progress_tallies (teacher_id, program_year_id, school_path, name, stage, subject, in_post, required_hours, elective_hours,
                                      hours_done, started, opted_out, opt_out_statement, updated_at)
        select t.id, y.id, t.school_path, t.name, t.stage, t.subject, t.in_post,
               coalesce(f.required_hours, 0), coalesce(f.elective_hours, 0), coalesce(f.hours_done, 0), coalesce(f.started, false),
               o.teacher_id is not null, o.statement_reference, now()
        from teachers t
        cross join program_years y
        left join figures f on f.teacher_id = t.id and f.program_year_id = y.id
        left join opt_outs o on o.teacher_id = t.id and o.program_year_id = y.id
        where t.id = any(@Teachers) and (@YearId::uuid is null or y.id = @YearId)
        on conflict (teacher_id, program_year_id) do update
        set school_path = excluded.school_path, name = excluded.name, stage = excluded.stage, subject = excluded.subject,
            in_post = excluded.in_post, required_hours = excluded.required_hours, elective_hours = excluded.elective_hours,
            hours_done = excluded.hours_done, started = excluded.started, opted_out = excluded.opted_out,
            opt_out_statement = excluded.opt_out_statement, updated_at = excluded.updated_at, dirty = true
        where (progress_tallies.school_path, progress_tallies.name, progress_tallies.stage, progress_tallies.subject, progress_tallies.in_post,
               progress_tallies.required_hours, progress_tallies.elective_hours, progress_tallies.hours_done, progress_tallies.started,
               progress_tallies.opted_out, progress_tallies.opt_out_statement)
              is distinct from
              (excluded.school_path, excluded.name, excluded.stage, excluded.subject, excluded.in_post, excluded.required_hours,
               excluded.elective_hours, excluded.hours_done, excluded.started, excluded.opted_out, excluded.opt_out_statement)
        """;

    public const int RebuildBatch = 5000;

    /// <summary>A rebuild asked for and not finished.</summary>
    public sealed record RebuildRow
    {
        public long Id { get; init; }
        public string RequestedBy { get; init; } = "";
        public DateTimeOffset RequestedAt { get; init; }
        public Guid? AfterTeacher { get; init; }
        public long TeachersDone { get; init; }
        public DateTimeOffset? DoneAt { get; init; }
    }

    /// <summary>Asks for a rebuild of every tally (worked in the background); its id.</summary>
    public static Task<long> RequestRebuildAsync(UnitOfWork unitOfWork, string requestedBy, DateTimeOffset now, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            insert into progress_tally_rebuilds (requested_by, requested_at) values (@By, @Now) returning id
            """, new { By = requestedBy, Now = now }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task<long> OpenRebuildsAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "select count(*) from progress_tally_rebuilds where done_at is null", cancellationToken: cancellationToken));

    public static Task<RebuildRow?> RebuildAsync(NpgsqlConnection connection, long id, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<RebuildRow>(new CommandDefinition("""
            select id, requested_by, requested_at, after_teacher, teachers_done, done_at from progress_tally_rebuilds where id = @Id
            """, new { Id = id }, cancellationToken: cancellationToken));

    /// <summary>
    /// One batch of the oldest open rebuild, in its own transaction: the next teachers by id, locked, recomputed in one
    /// statement. False when no rebuild is open (or another replica holds it).
    /// </summary>
    public static async Task<bool> RebuildBatchAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var job = await unitOfWork.Connection.QuerySingleOrDefaultAsync<RebuildRow>(new CommandDefinition("""
            select id, after_teacher, teachers_done from progress_tally_rebuilds
            where done_at is null order by id limit 1 for update skip locked
            """, transaction: unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (job is null)
        {
            return false;
        }
        var teachers = (await unitOfWork.Connection.QueryAsync<Guid>(new CommandDefinition("""
            select id from teachers where (@After::uuid is null or id > @After) order by id limit @Batch for no key update
            """, new { After = job.AfterTeacher, Batch = RebuildBatch }, unitOfWork.Transaction, cancellationToken: cancellationToken))).ToArray();
        if (teachers.Length > 0)
        {
            await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(RefreshSql, new { Teachers = teachers, YearId = (Guid?)null }, unitOfWork.Transaction,
                cancellationToken: cancellationToken));
        }
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            update progress_tally_rebuilds
            set after_teacher = @After, teachers_done = teachers_done + @Count, done_at = case when @Done then now() end
            where id = @Id
            """, new { job.Id, After = teachers.Length > 0 ? teachers[^1] : job.AfterTeacher, Count = (long)teachers.Length, Done = teachers.Length < RebuildBatch },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
        await unitOfWork.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>A teacher whose tally does not say what the enrollments say: each side's figures and status.</summary>
    public sealed record TallyDifference(Guid TeacherId, string Name, string SchoolPath, string Field, string Expected, string Actual);

    /// <summary>
    /// Compares the year's tallies of in-post teachers at and below <paramref name="root"/> with <see cref="ReportStore"/>'s
    /// scan of the enrollments (the oracle), field by field and status by status; an empty list when they agree.
    /// </summary>
    public static async Task<IReadOnlyList<TallyDifference>> CheckAsync(NpgsqlConnection connection, YearRow year, DateOnly today, string root,
        CancellationToken cancellationToken)
    {
        var scope = new ReportScope(year, today, root, null);
        var expected = new Dictionary<Guid, TeacherYearRow>();
        await foreach (var row in ReportStore.StreamAsync(connection, scope, null, cancellationToken))
        {
            expected[row.Id] = row;
        }
        var actual = new Dictionary<Guid, TeacherYearRow>();
        await foreach (var row in StreamAsync(connection, scope, null, cancellationToken))
        {
            actual[row.Id] = row;
        }

        var differences = new List<TallyDifference>();
        foreach (var (id, want) in expected)
        {
            if (!actual.TryGetValue(id, out var have))
            {
                differences.Add(new(id, want.Name, want.SchoolPath, "row", "present", "missing"));
                continue;
            }
            void Compare(string field, object? wanted, object? had)
            {
                var (w, h) = (Text(wanted), Text(had));
                if (w != h)
                {
                    differences.Add(new(id, want.Name, want.SchoolPath, field, w, h));
                }
            }
            Compare("schoolPath", want.SchoolPath, have.SchoolPath);
            Compare("name", want.Name, have.Name);
            Compare("stage", want.Stage, have.Stage);
            Compare("subject", want.Subject, have.Subject);
            Compare("requiredHours", want.RequiredHours, have.RequiredHours);
            Compare("electiveHours", want.ElectiveHours, have.ElectiveHours);
            Compare("hoursDone", want.HoursDone, have.HoursDone);
            Compare("started", want.Started, have.Started);
            Compare("optedOut", want.OptedOut, have.OptedOut);
            Compare("optOutStatement", want.OptOutStatement, have.OptOutStatement);
            Compare("status", want.Status, scope.Assess(have).Status);
            Compare("reason", scope.Assess(want).Reason, scope.Assess(have).Reason);
        }
        foreach (var (id, have) in actual.Where(a => !expected.ContainsKey(a.Key)))
        {
            differences.Add(new(id, have.Name, have.SchoolPath, "row", "absent", "present"));
        }
        return differences;
    }

    private static string Text(object? value) => value switch
    {
        null => "",
        decimal d => d.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>
    /// A page of the year's teachers below the scope's root read from the tallies, in school, name and id order, those of
    /// <paramref name="status"/> only (null: all), after <paramref name="after"/> (keyset, no OFFSET). For one school and
    /// one status it walks <c>ix_progress_tallies_school</c> in order: the status narrows to its date-free phase there
    /// and <see cref="ProgressStatus.SqlCase"/> decides within it.
    /// </summary>
    public static async Task<IReadOnlyList<TeacherYearRow>> PageAsync(NpgsqlConnection connection, ReportScope scope, string? status, PageCursor? after,
        int limit, CancellationToken cancellationToken)
    {
        var parameters = scope.Parameters();
        parameters.AddDynamicParams(new
        {
            Status = status,
            Phases = PhasesOf(status, scope.Year.MinAnnualHours),
            AfterPath = after?.SchoolPath, AfterName = after?.Name, AfterId = after?.Id, Limit = limit,
        });
        return [.. await connection.QueryAsync<TeacherYearRow>(new CommandDefinition(PageSql, parameters, cancellationToken: cancellationToken))];
    }

    // Declared before the statements that use it: static fields are initialised in the order they are written.
    private static readonly string SchoolSelectionCloses = SelectionClosesSql("p.school_path", "@YearId", "@DefaultSelectionCloses");

    // Rows in index order, each with its school's course-selection close looked up beside it (not in a CTE over the
    // whole scope, which a province's page would first materialise), until the page is full.
    private static readonly string PageSql = $"""
        select y.*, coalesce(org.name, '') as school_name
        from (
            select p.teacher_id as id, p.name, p.school_path, p.stage, p.subject, p.required_hours, p.elective_hours, p.hours_done,
                   p.started, p.opted_out, p.opt_out_statement, s.selection_closes,
                   {ProgressStatus.SqlCase.Replace("selection_closes", "s.selection_closes", StringComparison.Ordinal)} as status
            from progress_tallies p
            cross join lateral (select {SchoolSelectionCloses} as selection_closes) s
            where p.program_year_id = @YearId and p.in_post and {PlatformUser.ScopeSql("p.school_path")}
              and p.phase = any(@Phases)
              and (@AfterPath::text is null or (p.school_path, p.name, p.teacher_id) > (@AfterPath, @AfterName, @AfterId))
            order by p.school_path, p.name, p.teacher_id
        ) y
        left join organisations org on org.path = y.school_path
        where (@Status::text is null or y.status = @Status)
        order by y.school_path, y.name, y.id
        limit @Limit
        """;

    /// <summary>
    /// The course-selection close of the school at <c>p.school_path</c>: the adjustment on the deepest organisation above
    /// it, the newest on the same one (<c>WindowRules</c>), else the day before study starts — as the scan has it.
    /// </summary>
    internal static string SelectionClosesSql(string schoolPath, string yearId, string otherwise) => $"""
        coalesce((select a.closes_on from window_adjustments a
                  where a.program_year_id = {yearId} and a.window_name = 'course_selection'
                    and ({schoolPath} = a.organisation_path or starts_with({schoolPath}, a.organisation_path || '/'))
                  order by length(a.organisation_path) desc, a.adjusted_at desc
                  limit 1), {otherwise})
        """;


    /// <summary>The phases a status can come from (all three for none): the date-free half of <see cref="ProgressStatus.SqlCase"/>.</summary>
    internal static string[] PhasesOf(string? status, decimal minAnnualHours) => status switch
    {
        ProgressStatuses.OptedOut => ["opted_out"],
        ProgressStatuses.NotStarted => ["not_started"],
        // With a minimum of zero a teacher who has not started has done it already.
        ProgressStatuses.Completed when minAnnualHours <= 0 => ["started", "not_started"],
        ProgressStatuses.Completed or ProgressStatuses.OnTrack or ProgressStatuses.Behind => ["started"],
        _ => ["opted_out", "not_started", "started"],
    };

    /// <summary>
    /// <see cref="ReportStore.RollUpAsync"/>'s answer read from the tallies: counts per group <paramref name="depth"/> levels
    /// deep (none when null) and the total, summed over the teachers' rows at read time (a narrow table, no enrollments).
    /// For a county and below; a city and the province read <see cref="ProgressFold"/>.
    /// </summary>
    public static async Task<IReadOnlyList<RollUpRow>> RollUpAsync(NpgsqlConnection connection, ReportScope scope, int? depth,
        CancellationToken cancellationToken)
    {
        var parameters = scope.Parameters();
        parameters.Add("Depth", depth ?? 0);
        return [.. await connection.QueryAsync<RollUpRow>(new CommandDefinition($"""
            {TalliesCte("")},
            grouped as (
                select {(depth is null ? "null::text" : "case when grouping(g.path) = 0 then g.path end")} as path,
                       count(*)::int as teachers,
                       count(*) filter (where g.status = 'completed')::int as completed,
                       count(*) filter (where g.status = 'on_track')::int as on_track,
                       count(*) filter (where g.status = 'behind')::int as behind,
                       count(*) filter (where g.status = 'not_started')::int as not_started,
                       count(*) filter (where g.status = 'opted_out')::int as opted_out,
                       round(avg(g.hours_done), 1) as average_hours,
                       round(100.0 * count(*) filter (where g.status = 'completed') / nullif(count(*), 0), 1) as completion_rate
                from (select array_to_string((string_to_array(school_path, '/'))[1:@Depth], '/') as path, {ProgressStatus.SqlCase} as status, hours_done
                      from figured) g
                {(depth is null ? "" : "group by grouping sets ((g.path), ())")}
            )
            select grouped.*, coalesce(org.code, split_part(grouped.path, '/', -1)) as code, org.name, org.kind
            from grouped left join organisations org on org.path = grouped.path
            order by grouped.path nulls first
            """, parameters, cancellationToken: cancellationToken))];
    }

    /// <summary>
    /// The export's rows: the year's tallies of in-post teachers below the root, of <paramref name="status"/> only (null:
    /// all), with the school's name, in school, name and id order, read as they come (unbuffered) — an export of a city
    /// holds one row at a time, not the city.
    /// </summary>
    public static async IAsyncEnumerable<TeacherYearRow> StreamAsync(NpgsqlConnection connection, ReportScope scope, string? status,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var parameters = scope.Parameters();
        parameters.AddDynamicParams(new { Status = status, Phases = PhasesOf(status, scope.Year.MinAnnualHours) });
        await foreach (var row in connection.QueryUnbufferedAsync<TeacherYearRow>(ExportSql, parameters).WithCancellation(cancellationToken))
        {
            yield return row;
        }
    }

    private static readonly string ExportSql = $"""
        {TalliesCte("and p.phase = any(@Phases)")}
        select y.* from (select figured.*, {ProgressStatus.SqlCase} as status from figured) y
        where (@Status::text is null or y.status = @Status)
        order by y.school_path, y.name, y.id
        """;

    /// <summary>
    /// The tallies in scope (with <paramref name="filter"/> on <c>p</c>), each with its school's course-selection close,
    /// looked up once per school path in the year's few adjustments (the rule of <c>WindowRules</c>, as the scan has it).
    /// </summary>
    private static string TalliesCte(string filter) => $"""
        with tallies as (
            select * from progress_tallies p
            where p.program_year_id = @YearId and p.in_post and {PlatformUser.ScopeSql("p.school_path")} {filter}
        ),
        schools as (
            select p.school_path, {SchoolSelectionCloses} as selection_closes, coalesce(org.name, '') as school_name
            from (select distinct school_path from tallies) p
            left join organisations org on org.path = p.school_path
        ),
        figured as (
            select p.teacher_id as id, p.name, p.school_path, s.school_name, p.stage, p.subject, p.required_hours, p.elective_hours,
                   p.hours_done, p.started, p.opted_out, p.opt_out_statement, s.selection_closes
            from tallies p join schools s on s.school_path = p.school_path
        )
        """;
}
