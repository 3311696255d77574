using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Catalog;

namespace TrainingPlatform.Services.Catalog.ProgramYears;

public sealed record ProgramYearRow
{
    public Guid Id { get; init; }
    public string Code { get; init; } = "";
    public string Name { get; init; } = "";
    public decimal MinAnnualHours { get; init; }
    public decimal MinElectiveHours { get; init; }
    public DateOnly GroupListsDue { get; init; }
    public DateOnly TopicSelectionOpens { get; init; }
    public DateOnly TopicSelectionCloses { get; init; }
    public DateOnly CourseSelectionOpens { get; init; }
    public DateOnly StudyStarts { get; init; }
    public DateOnly RequiredStudyEnds { get; init; }
    public DateOnly CreditRegistrationCloses { get; init; }
    public int Version { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public ProgramYearWindows Windows => new(GroupListsDue, TopicSelectionOpens, TopicSelectionCloses, CourseSelectionOpens, StudyStarts,
        RequiredStudyEnds, CreditRegistrationCloses);

    public ProgramYearScheduled ToEvent() => new(Id, Code, Name, MinAnnualHours, MinElectiveHours, Windows, Version, UpdatedAt);
}

public static class ProgramYearStore
{
    private const string SelectSql = """
        select id, code, name, min_annual_hours, min_elective_hours, group_lists_due, topic_selection_opens, topic_selection_closes,
               course_selection_opens, study_starts, required_study_ends, credit_registration_closes, version, created_at, updated_at
        from program_years
        """;

    public static Task<ProgramYearRow?> FindAsync(NpgsqlConnection connection, string code, NpgsqlTransaction? transaction,
        CancellationToken cancellationToken, bool forUpdate = false) =>
        connection.QuerySingleOrDefaultAsync<ProgramYearRow>(new CommandDefinition(
            SelectSql + " where code = @Code" + (forUpdate ? " for update" : ""), new { Code = code }, transaction, cancellationToken: cancellationToken));

    public static async Task<IReadOnlyList<ProgramYearRow>> ListAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<ProgramYearRow>(new CommandDefinition(SelectSql + " order by code desc", cancellationToken: cancellationToken))];

    /// <summary>Creates the year, or null when its code exists.</summary>
    public static async Task<ProgramYearRow?> CreateAsync(UnitOfWork unitOfWork, ProgramYearRequest request, ProgramYearWindows windows,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var row = ToRow(Guid.CreateVersion7(now), request, windows, 1, now, now);
        var inserted = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into program_years (id, code, name, min_annual_hours, min_elective_hours, group_lists_due, topic_selection_opens,
                topic_selection_closes, course_selection_opens, study_starts, required_study_ends, credit_registration_closes, version,
                created_at, updated_at)
            values (@Id, @Code, @Name, @MinAnnualHours, @MinElectiveHours, @GroupListsDue, @TopicSelectionOpens, @TopicSelectionCloses,
                @CourseSelectionOpens, @StudyStarts, @RequiredStudyEnds, @CreditRegistrationCloses, @Version, @CreatedAt, @UpdatedAt)
            on conflict (code) do nothing
            """, row, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            return null;
        }
        await unitOfWork.PublishAsync(row.ToEvent(), cancellationToken);
        return row;
    }

    public static async Task<ProgramYearRow> ChangeAsync(UnitOfWork unitOfWork, ProgramYearRow current, ProgramYearRequest request,
        ProgramYearWindows windows, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var row = ToRow(current.Id, request with { Code = current.Code }, windows, current.Version + 1, current.CreatedAt, now);
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            update program_years
            set name = @Name, min_annual_hours = @MinAnnualHours, min_elective_hours = @MinElectiveHours, group_lists_due = @GroupListsDue,
                topic_selection_opens = @TopicSelectionOpens, topic_selection_closes = @TopicSelectionCloses,
                course_selection_opens = @CourseSelectionOpens, study_starts = @StudyStarts, required_study_ends = @RequiredStudyEnds,
                credit_registration_closes = @CreditRegistrationCloses, version = @Version, updated_at = @UpdatedAt
            where id = @Id
            """, row, unitOfWork.Transaction, cancellationToken: cancellationToken));
        await unitOfWork.PublishAsync(row.ToEvent(), cancellationToken);
        return row;
    }

    public static async Task<IReadOnlyList<WindowAdjustment>> AdjustmentsAsync(NpgsqlConnection connection, Guid yearId, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<WindowAdjustment>(new CommandDefinition("""
            select id, window_name, organisation_path, opens_on, closes_on, kind, reason, adjusted_by, adjusted_at
            from window_adjustments where program_year_id = @YearId order by adjusted_at
            """, new { YearId = yearId }, cancellationToken: cancellationToken))];

    /// <summary>Keeps a window's adjustment for an organisation and announces it.</summary>
    public static async Task AdjustAsync(UnitOfWork unitOfWork, SelectionWindowAdjusted adjusted, string by, CancellationToken cancellationToken)
    {
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into window_adjustments (id, program_year_id, window_name, organisation_id, organisation_path, opens_on, closes_on, kind,
                                            reason, adjusted_by, adjusted_at)
            values (@AdjustmentId, @ProgramYearId, @Window, @OrganisationId, @OrganisationPath, @OpensOn, @ClosesOn, @Kind, @Reason, @By, @AdjustedAt)
            """, new
        {
            adjusted.AdjustmentId, adjusted.ProgramYearId, adjusted.Window, adjusted.OrganisationId, adjusted.OrganisationPath, adjusted.OpensOn,
            adjusted.ClosesOn, adjusted.Kind, adjusted.Reason, By = by, adjusted.AdjustedAt,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        await unitOfWork.PublishAsync(adjusted, cancellationToken);
    }

    private static ProgramYearRow ToRow(Guid id, ProgramYearRequest r, ProgramYearWindows w, int version, DateTimeOffset createdAt, DateTimeOffset now) => new()
    {
        Id = id,
        Code = r.Code!,
        Name = r.Name!.Trim(),
        MinAnnualHours = r.MinAnnualHours!.Value,
        MinElectiveHours = r.MinElectiveHours!.Value,
        GroupListsDue = w.GroupListsDue,
        TopicSelectionOpens = w.TopicSelectionOpens,
        TopicSelectionCloses = w.TopicSelectionCloses,
        CourseSelectionOpens = w.CourseSelectionOpens,
        StudyStarts = w.StudyStarts,
        RequiredStudyEnds = w.RequiredStudyEnds,
        CreditRegistrationCloses = w.CreditRegistrationCloses,
        Version = version,
        CreatedAt = createdAt,
        UpdatedAt = now,
    };
}
