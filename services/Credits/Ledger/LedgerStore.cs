using System.Diagnostics;
using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Credits;

namespace TrainingPlatform.Services.Credits.Ledger;

/// <summary>
/// The one way credits enter the ledger. Each cause (an enrollment, an application, a school's registration) has a
/// source reference that posts once; the same course content posts once per cycle (重复参训); every post adds to the
/// teacher's running balance in the same transaction, marks the teacher for re-evaluation and is announced.
/// </summary>
public static class LedgerStore
{
    public const string SelectSql = """
        select id, teacher_id, hours, category, mode, level, source, source_ref, content_id, title, year, cycle_start, reverses_id, reason,
               posted_by, posted_at
        from ledger_entries
        """;

    /// <summary>Loads the teacher's school path for a scope check; null when unknown or not visible.</summary>
    internal static async Task<(Guid Id, string Name, string SchoolPath)?> VisibleTeacherAsync(NpgsqlConnection connection, Guid teacherId, PlatformUser user,
        CancellationToken cancellationToken)
    {
        var teacher = await connection.QuerySingleOrDefaultAsync<(Guid Id, string Name, string SchoolPath)?>(new CommandDefinition(
            "select id, name, school_path from teachers where id = @Id", new { Id = teacherId }, cancellationToken: cancellationToken));
        return teacher is { } t && user.CanSeeTeacher(t.Id, t.SchoolPath) ? teacher : null;
    }

    /// <summary>A teacher's entries in the order they were posted.</summary>
    public static async Task<IReadOnlyList<LedgerEntry>> EntriesOfAsync(NpgsqlConnection connection, Guid teacherId, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<LedgerEntry>(new CommandDefinition(SelectSql + " where teacher_id = @Id order by posted_at, id",
            new { Id = teacherId }, cancellationToken: cancellationToken))];

    /// <summary>The credits refused for a teacher, with the reasons.</summary>
    public static async Task<IReadOnlyList<LedgerRefusalView>> RefusalsOfAsync(NpgsqlConnection connection, Guid teacherId,
        CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<LedgerRefusalView>(new CommandDefinition(
            "select source_ref, title, hours, reason, refused_at from ledger_refusals where teacher_id = @Id order by refused_at",
            new { Id = teacherId }, cancellationToken: cancellationToken))];

    /// <summary>An entry, locked for a correction.</summary>
    public static Task<LedgerEntry?> EntryForUpdateAsync(UnitOfWork unitOfWork, Guid id, CancellationToken cancellationToken) =>
        unitOfWork.Connection.QuerySingleOrDefaultAsync<LedgerEntry>(new CommandDefinition(
            SelectSql + " where id = @Id for update", new { Id = id }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task<bool> IsReversedAsync(UnitOfWork unitOfWork, Guid id, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from ledger_entries where reverses_id = @Id)", new { Id = id }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>The school paths of those of <paramref name="teacherIds"/> Credits has a profile for.</summary>
    public static async Task<IReadOnlyDictionary<Guid, string>> SchoolPathsAsync(UnitOfWork unitOfWork, IReadOnlyCollection<Guid> teacherIds,
        CancellationToken cancellationToken) =>
        (await unitOfWork.Connection.QueryAsync<(Guid Id, string SchoolPath)>(new CommandDefinition(
            "select id, school_path from teachers where id = any(@Ids)", new { Ids = teacherIds.ToArray() }, unitOfWork.Transaction,
            cancellationToken: cancellationToken))).ToDictionary(t => t.Id, t => t.SchoolPath);

    /// <summary>The calendar years of the program years Credits knows of among <paramref name="programYearIds"/>.</summary>
    public static async Task<IReadOnlyDictionary<Guid, int>> ProgramYearsAsync(UnitOfWork unitOfWork, IEnumerable<Guid> programYearIds,
        CancellationToken cancellationToken) =>
        (await unitOfWork.Connection.QueryAsync<(Guid Id, int Year)>(new CommandDefinition(
            "select id, year from program_years where id = any(@Ids)", new { Ids = programYearIds.Distinct().ToArray() },
            unitOfWork.Transaction, cancellationToken: cancellationToken))).ToDictionary(y => y.Id, y => y.Year);

    /// <summary>An operator's reopening of a closed year, until <paramref name="until"/>.</summary>
    public static Task ReopenAsync(NpgsqlConnection connection, int year, DateOnly until, string reason, string by, DateTimeOffset now,
        CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into year_reopenings (year, reopened_to, reason, reopened_by, reopened_at) values (@Year, @Until, @Reason, @By, @Now)
            """, new { Year = year, Until = until, Reason = reason, By = by, Now = now }, cancellationToken: cancellationToken));

    public static async Task<PostOutcome> PostAsync(UnitOfWork unitOfWork, LedgerEntry entry, CancellationToken cancellationToken) =>
        (await PostAllAsync(unitOfWork, [entry], cancellationToken))[0];

    /// <summary>Posts many credits under the current trace (a school's registration for many teachers).</summary>
    public static Task<IReadOnlyList<PostOutcome>> PostAllAsync(UnitOfWork unitOfWork, IReadOnlyList<LedgerEntry> entries,
        CancellationToken cancellationToken)
    {
        var trace = Activity.Current?.Context ?? default;
        return PostAllAsync(unitOfWork, [.. entries.Select(e => (e, trace))], cancellationToken);
    }

    /// <summary>
    /// Posts many credits in a few set-based statements, each announced under its own trace, and says for each
    /// whether it was posted, had already been posted, or was refused as 重复参训 (recorded with the reason). Rows are
    /// written in teacher order, so two batches touching the same teacher wait for each other instead of deadlocking.
    /// </summary>
    public static async Task<IReadOnlyList<PostOutcome>> PostAllAsync(UnitOfWork unitOfWork, IReadOnlyList<(LedgerEntry Entry, ActivityContext Trace)> postings,
        CancellationToken cancellationToken)
    {
        var entries = postings.Select(p => p.Entry).ToList();
        var inserted = (await unitOfWork.Connection.QueryAsync<Guid>(new CommandDefinition("""
            insert into ledger_entries (id, teacher_id, hours, category, mode, level, source, source_ref, content_id, title, year, cycle_start,
                                        reverses_id, reason, posted_by, posted_at)
            select * from unnest(@Id, @TeacherId, @Hours, @Category, @Mode, @Level, @Source, @SourceRef, @ContentId, @Title, @Year, @CycleStart,
                                 @ReversesId, @Reason, @PostedBy, @PostedAt)
                as e (id, teacher_id, hours, category, mode, level, source, source_ref, content_id, title, year, cycle_start, reverses_id, reason,
                      posted_by, posted_at)
            order by teacher_id, posted_at, source_ref
            on conflict do nothing
            returning id
            """, new
        {
            Id = entries.Select(e => e.Id).ToArray(),
            TeacherId = entries.Select(e => e.TeacherId).ToArray(),
            Hours = entries.Select(e => e.Hours).ToArray(),
            Category = entries.Select(e => e.Category).ToArray(),
            Mode = entries.Select(e => e.Mode).ToArray(),
            Level = entries.Select(e => e.Level).ToArray(),
            Source = entries.Select(e => e.Source).ToArray(),
            SourceRef = entries.Select(e => e.SourceRef).ToArray(),
            ContentId = entries.Select(e => e.ContentId).ToArray(),
            Title = entries.Select(e => e.Title).ToArray(),
            Year = entries.Select(e => e.Year).ToArray(),
            CycleStart = entries.Select(e => e.CycleStart).ToArray(),
            ReversesId = entries.Select(e => e.ReversesId).ToArray(),
            Reason = entries.Select(e => e.Reason).ToArray(),
            PostedBy = entries.Select(e => e.PostedBy).ToArray(),
            PostedAt = entries.Select(e => e.PostedAt.UtcDateTime).ToArray(),
        }, unitOfWork.Transaction, cancellationToken: cancellationToken))).ToHashSet();

        var outcomes = new PostOutcome[entries.Count];
        // What was not inserted had either been posted already (also by an earlier entry of this same batch) or is 重复参训.
        var notInserted = entries.Where(e => !inserted.Contains(e.Id)).Select(e => e.SourceRef).ToArray();
        var alreadyPosted = notInserted.Length == 0 ? [] : (await unitOfWork.Connection.QueryAsync<string>(new CommandDefinition(
            "select source_ref from ledger_entries where source_ref = any(@Refs)", new { Refs = notInserted }, unitOfWork.Transaction,
            cancellationToken: cancellationToken))).ToHashSet();
        var refused = new List<(LedgerEntry Entry, string Reason)>();
        var posted = new List<(LedgerEntry Entry, ActivityContext Trace)>();
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (inserted.Contains(entry.Id))
            {
                outcomes[i] = PostOutcome.Posted;
                posted.Add(postings[i]);
            }
            else if (alreadyPosted.Contains(entry.SourceRef))
            {
                outcomes[i] = PostOutcome.AlreadyPosted;
            }
            else
            {
                outcomes[i] = PostOutcome.SameContentThisCycle;
                refused.Add((entry, $"重复参训：同一周期内已因同一内容的课程获得学时，本次“{entry.Title}”不再计入"));
            }
        }
        await RefuseAllAsync(unitOfWork, refused, cancellationToken);
        if (posted.Count == 0)
        {
            return outcomes;
        }

        var postedEntries = posted.Select(p => p.Entry).ToList();
        // Summed per balance row first: one statement may not update the same row twice.
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into balances (teacher_id, year, category, mode, level, source, hours)
            select teacher_id, year, category, mode, level, source, sum(hours)
            from unnest(@TeacherId, @Year, @Category, @Mode, @Level, @Source, @Hours) as e (teacher_id, year, category, mode, level, source, hours)
            group by 1, 2, 3, 4, 5, 6
            order by 1, 2, 3, 4, 5, 6
            on conflict (teacher_id, year, category, mode, level, source) do update set hours = balances.hours + excluded.hours
            """, new
        {
            TeacherId = postedEntries.Select(e => e.TeacherId).ToArray(),
            Year = postedEntries.Select(e => e.Year).ToArray(),
            Category = postedEntries.Select(e => e.Category).ToArray(),
            Mode = postedEntries.Select(e => e.Mode).ToArray(),
            Level = postedEntries.Select(e => e.Level).ToArray(),
            Source = postedEntries.Select(e => e.Source).ToArray(),
            Hours = postedEntries.Select(e => e.Hours).ToArray(),
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        await MarkDirtyAsync(unitOfWork.Connection, unitOfWork.Transaction, postedEntries.Select(e => e.TeacherId).ToList(), cancellationToken);
        await unitOfWork.PublishAllAsync([.. posted.Select(p => ((object)new CreditPosted(p.Entry.Id, p.Entry.TeacherId, p.Entry.Hours,
            p.Entry.Category, p.Entry.Mode, p.Entry.Level, p.Entry.Source, p.Entry.Title, p.Entry.Year, p.Entry.CycleStart, p.Entry.ReversesId,
            p.Entry.Reason, p.Entry.PostedAt), p.Trace))], cancellationToken);
        return outcomes;
    }

    /// <summary>Records a credit that was not posted, with the reason, for the transcript.</summary>
    public static Task RefuseAsync(UnitOfWork unitOfWork, LedgerEntry entry, string reason, CancellationToken cancellationToken) =>
        RefuseAllAsync(unitOfWork, [(entry, reason)], cancellationToken);

    private static Task RefuseAllAsync(UnitOfWork unitOfWork, IReadOnlyList<(LedgerEntry Entry, string Reason)> refusals,
        CancellationToken cancellationToken) =>
        refusals.Count == 0 ? Task.CompletedTask : unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into ledger_refusals (teacher_id, source_ref, title, hours, reason, refused_at)
            select * from unnest(@TeacherId, @SourceRef, @Title, @Hours, @Reason, @RefusedAt)
            on conflict (source_ref) do nothing
            """, new
        {
            TeacherId = refusals.Select(r => r.Entry.TeacherId).ToArray(),
            SourceRef = refusals.Select(r => r.Entry.SourceRef).ToArray(),
            Title = refusals.Select(r => r.Entry.Title).ToArray(),
            Hours = refusals.Select(r => r.Entry.Hours).ToArray(),
            Reason = refusals.Select(r => r.Reason).ToArray(),
            RefusedAt = refusals.Select(r => r.Entry.PostedAt.UtcDateTime).ToArray(),
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task MarkDirtyAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyCollection<Guid> teachers,
        CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into compliance_dirty (teacher_id, marked_at) select distinct t, now() from unnest(@Teachers) t order by t
            on conflict (teacher_id) do update set marked_at = excluded.marked_at
            """, new { Teachers = teachers.ToArray() }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Is registration still open for credits of <paramref name="year"/> on <paramref name="day"/>? Open until the
    /// year's deadline (12/31 in the seed), or until an operator's reopening runs out. A year the ledger has no
    /// program year for has no deadline.
    /// </summary>
    public static async Task<(bool Open, DateOnly? ClosedOn)> RegistrationAsync(NpgsqlConnection connection, int year, DateOnly day,
        CancellationToken cancellationToken) =>
        (await RegistrationWindowsAsync(connection, null, [year], cancellationToken))[year].On(day);

    private static async Task<IReadOnlyDictionary<int, RegistrationWindow>> RegistrationWindowsAsync(NpgsqlConnection connection,
        NpgsqlTransaction? transaction, IEnumerable<int> years, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<(int Year, DateOnly? Closes, DateOnly? ReopenedTo)>(new CommandDefinition("""
            select y.year,
                   (select max(credit_registration_closes) from program_years p where p.year = y.year),
                   (select max(reopened_to) from year_reopenings r where r.year = y.year)
            from unnest(@Years) as y (year)
            """, new { Years = years.Distinct().ToArray() }, transaction, cancellationToken: cancellationToken)))
        .ToDictionary(r => r.Year, r => new RegistrationWindow(r.Closes, r.ReopenedTo));

    /// <summary>
    /// Posts a credit that arrived by itself (a completed course, a confirmed activity), or, when its year's
    /// registration had already closed on <paramref name="happenedOn"/>, records it refused with the deadline and
    /// <paramref name="why"/> (e.g. "课程完成时间晚于截止日期").
    /// </summary>
    public static Task PostUnlessClosedAsync(UnitOfWork unitOfWork, LedgerEntry entry, DateOnly happenedOn, string why,
        CancellationToken cancellationToken) =>
        PostAllUnlessClosedAsync(unitOfWork, [new ArrivedCredit(entry, happenedOn, why, Activity.Current?.Context ?? default)], cancellationToken);

    /// <summary><see cref="PostUnlessClosedAsync"/> for a batch of arrivals, in a few statements whatever its size.</summary>
    public static async Task PostAllUnlessClosedAsync(UnitOfWork unitOfWork, IReadOnlyList<ArrivedCredit> arrivals, CancellationToken cancellationToken)
    {
        var windows = await RegistrationWindowsAsync(unitOfWork.Connection, unitOfWork.Transaction, arrivals.Select(a => a.Entry.Year),
            cancellationToken);
        var open = new List<(LedgerEntry, ActivityContext)>();
        var late = new List<(LedgerEntry, string)>();
        foreach (var arrival in arrivals)
        {
            var (isOpen, closedOn) = windows[arrival.Entry.Year].On(arrival.HappenedOn);
            if (isOpen)
            {
                open.Add((arrival.Entry, arrival.Trace));
            }
            else
            {
                late.Add((arrival.Entry, $"{arrival.Entry.Year} 年度学分登记已于 {closedOn:yyyy-MM-dd} 截止，{arrival.Why}"));
            }
        }
        await RefuseAllAsync(unitOfWork, late, cancellationToken);
        if (open.Count > 0)
        {
            await PostAllAsync(unitOfWork, open, cancellationToken);
        }
    }
}
