using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.Services.Enrollment.Reports;

/// <summary>
/// The per-county fold of the teachers' tallies, for the roll-ups of a city and the province (a million teachers).
/// <para>
/// <b>Why a fold.</b> A school's or a county's roll-up sums its teachers' tally rows when read (a few hundred to some
/// thousands of narrow rows). A province's would sum a million, too slow for a dashboard. Counters per school or county
/// kept in the writing transaction would make every choice of a school queue on one row at course-selection peak (two
/// replicas serialise on it for the length of each other's commit). So writers touch only their teachers' rows, and this
/// fold, run in the background by one replica at a time, adds what changed into <c>progress_county_tallies</c>.
/// </para>
/// <para>
/// <b>Exact at every moment.</b> Each tally row remembers what the fold counted it as (<c>folded_*</c>) and is marked
/// <c>dirty</c> by any change (the refresh's upsert), by a new course-selection close for its school, or by new year
/// minimums. A roll-up reads the fold, takes back the dirty rows' folded part and adds their live part, through the
/// partial index on dirty rows — so it answers what a full scan would, and the fold only keeps that correction small.
/// </para>
/// <para>
/// <b>What is folded.</b> Everything the status needs except the day: per county, the school's course-selection close,
/// the base (opted_out / completed / not_started / started — <see cref="ProgressStatus.SqlCase"/>'s first three steps,
/// which use the year's minimum), and, for those started, their hours and whether their electives fall short. Whether
/// one of those is behind or on track depends on the day and is decided when read, from these few rows.
/// </para>
/// </summary>
public static class ProgressFold
{
    public const int Batch = 5000;

    // County (the third level) of a school path: the group of a city's and the province's roll-up.
    private static string County(string path) => $"array_to_string((string_to_array({path}, '/'))[1:{ProgressStatus.CountyDepth}], '/')";

    // The first steps of ProgressStatus.SqlCase over a tally t and its year y.
    private const string Base = """
        case when t.opted_out then 'opted_out' when t.hours_done >= y.min_annual_hours then 'completed'
             when not t.started then 'not_started' else 'started' end
        """;

    // The school's course-selection close, for a tally t of a year y (the same rule as the teachers' pages).
    private static readonly string Closes = ProgressTallyStore.SelectionClosesSql("t.school_path", "t.program_year_id", "y.study_starts - 1");

    private static readonly string FoldSql = $"""
        with batch as (
            select p.teacher_id, p.program_year_id, p.school_path, p.in_post, p.hours_done, p.elective_hours, p.started, p.opted_out,
                   p.folded_county, p.folded_closes, p.folded_base, p.folded_hours, p.folded_elective_short
            from progress_tallies p
            where p.dirty
            limit @Batch
            for update skip locked
        ),
        live as (
            select t.teacher_id, t.program_year_id, t.hours_done,
                   case when t.in_post then {County("t.school_path")} end as county,
                   {Closes} as closes,
                   {Base} as base,
                   t.elective_hours < y.min_elective_hours as elective_short
            from batch t join program_years y on y.id = t.program_year_id
        ),
        deltas as (
            select program_year_id, county, closes, base, hours_done, elective_short, 1 as teachers, hours_done as hours
            from live where county is not null
            union all
            select program_year_id, folded_county, folded_closes, folded_base, folded_hours, folded_elective_short, -1, -folded_hours
            from batch where folded_county is not null
        ),
        summed as (
            select program_year_id, county, closes, base,
                   case when base = 'started' then hours_done else 0 end as hours_key,
                   base = 'started' and elective_short as short,
                   sum(teachers) as teachers, sum(hours) as hours
            from deltas
            group by 1, 2, 3, 4, 5, 6
            having sum(teachers) <> 0 or sum(hours) <> 0
        ),
        added as (
            insert into progress_county_tallies as c (program_year_id, county_path, selection_closes, base, hours_done, elective_short, teachers, hours_sum)
            select program_year_id, county, closes, base, hours_key, short, teachers, hours from summed
            order by 1, 2, 3, 4, 5, 6
            on conflict (program_year_id, county_path, selection_closes, base, hours_done, elective_short)
            do update set teachers = c.teachers + excluded.teachers, hours_sum = c.hours_sum + excluded.hours_sum
        )
        update progress_tallies p
        set dirty = false, folded_county = l.county, folded_closes = l.closes, folded_base = l.base, folded_hours = l.hours_done,
            folded_elective_short = l.elective_short
        from live l
        where p.teacher_id = l.teacher_id and p.program_year_id = l.program_year_id
        """;

    /// <summary>
    /// Folds up to <see cref="Batch"/> dirty tallies into their counties, in one transaction; how many. One replica folds
    /// at a time (an advisory lock; the others return 0). The rows are locked while folded, so a writer of one of those
    /// teachers waits for this transaction (a batch is ~0.1 s) and marks the row dirty again after it.
    /// </summary>
    public static async Task<int> FoldBatchAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        if (!await unitOfWork.Connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "select pg_try_advisory_xact_lock(hashtext('progress-fold'))", transaction: unitOfWork.Transaction, cancellationToken: cancellationToken)))
        {
            return 0;
        }
        var folded = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(FoldSql, new { Batch }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));
        if (folded > 0)
        {
            await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("delete from progress_county_tallies where teachers = 0",
                transaction: unitOfWork.Transaction, cancellationToken: cancellationToken));
        }
        await unitOfWork.CommitAsync(cancellationToken);
        return folded;
    }

    /// <summary>
    /// Folds every changed tally, a batch per transaction, until none is left (or another replica is folding). After a
    /// large fold (a rebuild, a re-fold of a year) the table's statistics still say most rows are changed, and the
    /// roll-ups' correction would scan the table instead of taking the few changed rows through their index: so the
    /// statistics are refreshed then (a sample; a few hundred milliseconds at a million teachers).
    /// </summary>
    public static async Task<long> FoldAllAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        long folded = 0;
        int batch;
        do
        {
            batch = await FoldBatchAsync(db, cancellationToken);
            folded += batch;
        }
        while (batch == Batch);
        if (folded >= LargeFold)
        {
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition("analyze progress_tallies", commandTimeout: 600, cancellationToken: cancellationToken));
        }
        return folded;
    }

    private const int LargeFold = 50_000;

    /// <summary>Tallies changed since the fold: what roll-ups correct for until the next fold.</summary>
    public static Task<long> DirtyAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition("select count(*) from progress_tallies where dirty", cancellationToken: cancellationToken));

    /// <summary>
    /// The year's tallies at and below <paramref name="path"/> (all when null) are to be folded again: their school's
    /// course-selection close or the year's minimums changed, which the folded counts were keyed by.
    /// </summary>
    public static Task InvalidateAsync(UnitOfWork unitOfWork, Guid yearId, string? path, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            update progress_tallies set dirty = true
            where program_year_id = @YearId and not dirty
              and (@Path::text is null or school_path = @Path or starts_with(school_path, @Path || '/'))
            """, new { YearId = yearId, Path = path }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// The roll-up of a city or the province by county (and the total), from the fold corrected by the dirty rows:
    /// the same answer as <see cref="ReportStore.RollUpAsync"/>'s scan at depth <see cref="ProgressStatus.CountyDepth"/>.
    /// </summary>
    public static async Task<IReadOnlyList<RollUpRow>> RollUpAsync(NpgsqlConnection connection, ReportScope scope, bool groups,
        CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<RollUpRow>(new CommandDefinition(RollUpSql(groups), scope.Parameters(), cancellationToken: cancellationToken))];

    private static string RollUpSql(bool groups) => $"""
        with parts as (
            select c.county_path as path, c.selection_closes as closes, c.base, c.hours_done, c.elective_short, c.teachers, c.hours_sum as hours
            from progress_county_tallies c
            where c.program_year_id = @YearId and {PlatformUser.ScopeSql("c.county_path")}
            union all
            select t.folded_county, t.folded_closes, t.folded_base, t.folded_hours, t.folded_elective_short, -1, -t.folded_hours
            from progress_tallies t
            where t.dirty and t.program_year_id = @YearId and t.folded_county is not null and {PlatformUser.ScopeSql("t.folded_county")}
            union all
            select {County("t.school_path")}, {Closes}, {Base}, t.hours_done, t.elective_hours < y.min_elective_hours, 1, t.hours_done
            from progress_tallies t join program_years y on y.id = t.program_year_id
            where t.dirty and t.program_year_id = @YearId and t.in_post and {PlatformUser.ScopeSql("t.school_path")}
        ),
        statused as (
            select path, teachers, hours,
                   case when base <> 'started' then base
                        when hours_done < @ExpectedHours or (@Today > closes and elective_short) then 'behind'
                        else 'on_track' end as status
            from parts
        ),
        grouped as (
            select {(groups ? "case when grouping(path) = 0 then path end" : "null::text")} as path,
                   sum(teachers)::int as teachers,
                   coalesce(sum(teachers) filter (where status = 'completed'), 0)::int as completed,
                   coalesce(sum(teachers) filter (where status = 'on_track'), 0)::int as on_track,
                   coalesce(sum(teachers) filter (where status = 'behind'), 0)::int as behind,
                   coalesce(sum(teachers) filter (where status = 'not_started'), 0)::int as not_started,
                   coalesce(sum(teachers) filter (where status = 'opted_out'), 0)::int as opted_out,
                   round(sum(hours) / nullif(sum(teachers), 0), 1) as average_hours,
                   round(100.0 * coalesce(sum(teachers) filter (where status = 'completed'), 0) / nullif(sum(teachers), 0), 1) as completion_rate
            from statused
            {(groups ? "group by grouping sets ((path), ()) having sum(teachers) <> 0 or grouping(path) = 1" : "")}
        )
        select grouped.*, coalesce(org.code, split_part(grouped.path, '/', -1)) as code, org.name, org.kind
        from grouped left join organisations org on org.path = grouped.path
        order by grouped.path nulls first
        """;
}
