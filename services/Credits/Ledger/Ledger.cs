using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Credits;

namespace TrainingPlatform.Services.Credits.Ledger;

public sealed record LedgerEntry
{
    public Guid Id { get; init; }
    public Guid TeacherId { get; init; }
    public decimal Hours { get; init; }
    public string Category { get; init; } = "";
    public string Mode { get; init; } = "";
    public string Level { get; init; } = "";
    public string Source { get; init; } = "";
    public string SourceRef { get; init; } = "";
    public Guid? ContentId { get; init; }
    public string Title { get; init; } = "";
    public int Year { get; init; }
    public int CycleStart { get; init; }
    public Guid? ReversesId { get; init; }
    public string? Reason { get; init; }
    public string PostedBy { get; init; } = "";
    public DateTimeOffset PostedAt { get; init; }
}

public enum PostOutcome
{
    Posted,
    AlreadyPosted,
    SameContentThisCycle,
}

/// <summary>
/// The one way credits enter the ledger. Each cause (an enrollment, an application, a school's registration) has a
/// source reference that posts once; the same course content posts once per cycle (重复参训); every post adds to the
/// teacher's running balance in the same transaction, marks the teacher for re-evaluation and is announced.
/// </summary>
public static class LedgerBook
{
    public const string SelectSql = """
        select id, teacher_id, hours, category, mode, level, source, source_ref, content_id, title, year, cycle_start, reverses_id, reason,
               posted_by, posted_at
        from ledger_entries
        """;

    public static async Task<PostOutcome> PostAsync(UnitOfWork unitOfWork, LedgerEntry entry, CancellationToken cancellationToken)
    {
        var inserted = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into ledger_entries (id, teacher_id, hours, category, mode, level, source, source_ref, content_id, title, year, cycle_start,
                                        reverses_id, reason, posted_by, posted_at)
            values (@Id, @TeacherId, @Hours, @Category, @Mode, @Level, @Source, @SourceRef, @ContentId, @Title, @Year, @CycleStart, @ReversesId,
                    @Reason, @PostedBy, @PostedAt)
            on conflict do nothing
            """, entry, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            var posted = await unitOfWork.Connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "select exists (select 1 from ledger_entries where source_ref = @SourceRef)", new { entry.SourceRef }, unitOfWork.Transaction,
                cancellationToken: cancellationToken));
            if (posted)
            {
                return PostOutcome.AlreadyPosted;
            }
            await RefuseAsync(unitOfWork, entry, $"重复参训：同一周期内已因同一内容的课程获得学时，本次“{entry.Title}”不再计入", cancellationToken);
            return PostOutcome.SameContentThisCycle;
        }
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into balances (teacher_id, year, category, mode, level, source, hours)
            values (@TeacherId, @Year, @Category, @Mode, @Level, @Source, @Hours)
            on conflict (teacher_id, year, category, mode, level, source) do update set hours = balances.hours + excluded.hours
            """, entry, unitOfWork.Transaction, cancellationToken: cancellationToken));
        await MarkDirtyAsync(unitOfWork.Connection, unitOfWork.Transaction, [entry.TeacherId], cancellationToken);
        await unitOfWork.PublishAsync(new CreditPosted(entry.Id, entry.TeacherId, entry.Hours, entry.Category, entry.Mode, entry.Level, entry.Source,
            entry.Title, entry.Year, entry.CycleStart, entry.ReversesId, entry.Reason, entry.PostedAt), cancellationToken);
        return PostOutcome.Posted;
    }

    /// <summary>Records a credit that was not posted, with the reason, for the transcript.</summary>
    public static Task RefuseAsync(UnitOfWork unitOfWork, LedgerEntry entry, string reason, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into ledger_refusals (teacher_id, source_ref, title, hours, reason, refused_at)
            values (@TeacherId, @SourceRef, @Title, @Hours, @Reason, @PostedAt)
            on conflict (source_ref) do nothing
            """, new { entry.TeacherId, entry.SourceRef, entry.Title, entry.Hours, Reason = reason, entry.PostedAt }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));

    public static Task MarkDirtyAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyCollection<Guid> teachers,
        CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into compliance_dirty (teacher_id, marked_at) select unnest(@Teachers), now()
            on conflict (teacher_id) do update set marked_at = excluded.marked_at
            """, new { Teachers = teachers.ToArray() }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Is registration still open for credits of <paramref name="year"/> on <paramref name="day"/>? Open until the
    /// year's deadline (12/31 in the seed), or until an operator's reopening runs out. A year the ledger has no
    /// program year for has no deadline.
    /// </summary>
    public static async Task<(bool Open, DateOnly? ClosedOn)> RegistrationAsync(NpgsqlConnection connection, int year, DateOnly day,
        CancellationToken cancellationToken)
    {
        var (closes, reopenedTo) = await connection.QuerySingleAsync<(DateOnly? Closes, DateOnly? ReopenedTo)>(new CommandDefinition("""
            select (select max(credit_registration_closes) from program_years where year = @Year),
                   (select max(reopened_to) from year_reopenings where year = @Year)
            """, new { Year = year }, cancellationToken: cancellationToken));
        if (closes is null || day <= closes || (reopenedTo is not null && day <= reopenedTo))
        {
            return (true, null);
        }
        return (false, closes);
    }

    /// <summary>
    /// Posts a credit that arrived by itself (a completed course, a confirmed activity), or, when its year's
    /// registration had already closed on <paramref name="happenedOn"/>, records it refused with the deadline and
    /// <paramref name="why"/> (e.g. "课程完成时间晚于截止日期").
    /// </summary>
    public static async Task PostUnlessClosedAsync(UnitOfWork unitOfWork, LedgerEntry entry, DateOnly happenedOn, string why,
        CancellationToken cancellationToken)
    {
        var (open, closedOn) = await RegistrationAsync(unitOfWork.Connection, entry.Year, happenedOn, cancellationToken);
        if (!open)
        {
            await RefuseAsync(unitOfWork, entry, $"{entry.Year} 年度学分登记已于 {closedOn:yyyy-MM-dd} 截止，{why}", cancellationToken);
            return;
        }
        await PostAsync(unitOfWork, entry, cancellationToken);
    }
}
