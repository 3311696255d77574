using System.Text.Json;
using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Services.Enrollment.Reports;
using TrainingPlatform.Services.Enrollment.Required;

namespace TrainingPlatform.Services.Enrollment.Copies;

/// <summary>
/// The catalog as enrollment needs it: years and windows, courses and seats, topics, schools' choices and required
/// packages. Every copy keeps the highest version, so late or repeated messages change nothing.
/// </summary>
public sealed class ProgramYearScheduledCopy(NpgsqlDataSource db) : IdempotentConsumer<ProgramYearScheduled>(db)
{
    protected override async Task HandleAsync(ProgramYearScheduled m, UnitOfWork unitOfWork, CancellationToken cancellationToken)
    {
        var before = await unitOfWork.Connection.QuerySingleOrDefaultAsync<YearKeys>(new CommandDefinition(
            """
            select min_annual_hours as MinAnnualHours, min_elective_hours as MinElectiveHours, study_starts as StudyStarts, version
            from program_years where id = @ProgramYearId for update
            """,
            new { m.ProgramYearId }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into program_years (id, code, name, min_annual_hours, min_elective_hours, group_lists_due, topic_selection_opens,
                topic_selection_closes, course_selection_opens, study_starts, required_study_ends, credit_registration_closes, version)
            values (@ProgramYearId, @Code, @Name, @MinAnnualHours, @MinElectiveHours, @GroupListsDue, @TopicSelectionOpens, @TopicSelectionCloses,
                @CourseSelectionOpens, @StudyStarts, @RequiredStudyEnds, @CreditRegistrationCloses, @Version)
            on conflict (id) do update
            set code = excluded.code, name = excluded.name, min_annual_hours = excluded.min_annual_hours,
                min_elective_hours = excluded.min_elective_hours, group_lists_due = excluded.group_lists_due,
                topic_selection_opens = excluded.topic_selection_opens, topic_selection_closes = excluded.topic_selection_closes,
                course_selection_opens = excluded.course_selection_opens, study_starts = excluded.study_starts,
                required_study_ends = excluded.required_study_ends, credit_registration_closes = excluded.credit_registration_closes,
                version = excluded.version
            where program_years.version < excluded.version
            """, new
        {
            m.ProgramYearId, m.Code, m.Name, m.MinAnnualHours, m.MinElectiveHours, m.Windows.GroupListsDue, m.Windows.TopicSelectionOpens,
            m.Windows.TopicSelectionCloses, m.Windows.CourseSelectionOpens, m.Windows.StudyStarts, m.Windows.RequiredStudyEnds,
            m.Windows.CreditRegistrationCloses, m.Version,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        // Every teacher is in the year's views from the start (未开始), so every teacher has a tally of it.
        if (before is null)
        {
            await ProgressTallyStore.AddYearAsync(unitOfWork, m.ProgramYearId, cancellationToken);
        }
        // The fold counted teachers by the year's minimums and its default course-selection close (the day before study).
        if (before is not null && before.Version < m.Version
            && (before.MinAnnualHours, before.MinElectiveHours, before.StudyStarts) != (m.MinAnnualHours, m.MinElectiveHours, m.Windows.StudyStarts))
        {
            await ProgressFold.InvalidateAsync(unitOfWork, m.ProgramYearId, null, cancellationToken);
        }
    }
}

internal sealed record YearKeys(decimal MinAnnualHours, decimal MinElectiveHours, DateOnly StudyStarts, int Version);

public sealed class SelectionWindowAdjustedCopy(NpgsqlDataSource db) : IdempotentConsumer<SelectionWindowAdjusted>(db)
{
    protected override async Task HandleAsync(SelectionWindowAdjusted m, UnitOfWork unitOfWork, CancellationToken cancellationToken)
    {
        var added = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into window_adjustments (id, program_year_id, window_name, organisation_path, opens_on, closes_on, kind, reason, adjusted_at)
            values (@AdjustmentId, @ProgramYearId, @Window, @OrganisationPath, @OpensOn, @ClosesOn, @Kind, @Reason, @AdjustedAt)
            on conflict (id) do nothing
            """, m, unitOfWork.Transaction, cancellationToken: cancellationToken));
        // The fold counted the schools' teachers by their course-selection close.
        if (added > 0 && m.Window == "course_selection")
        {
            await ProgressFold.InvalidateAsync(unitOfWork, m.ProgramYearId, m.OrganisationPath, cancellationToken);
        }
    }
}

public sealed class CoursePublishedCopy(NpgsqlDataSource db) : IdempotentConsumer<CoursePublished>(db)
{
    protected override async Task HandleAsync(CoursePublished m, UnitOfWork unitOfWork, CancellationToken cancellationToken)
    {
        var hoursBefore = await unitOfWork.Connection.ExecuteScalarAsync<decimal?>(new CommandDefinition(
            "select hours from courses where id = @CourseId for update", new { m.CourseId }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        // A retirement that overtook its publication leaves the course retired.
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into courses (id, content_id, code, version, title, hours, category, mode, level, stages, subjects, status, changed_at)
            values (@CourseId, @ContentId, @Code, @Version, @Title, @Hours, @Category, @Mode, @Level, @Stages, @Subjects, 'published', @PublishedAt)
            on conflict (id) do update
            set content_id = excluded.content_id, code = excluded.code, version = excluded.version, title = excluded.title,
                hours = excluded.hours, category = excluded.category, mode = excluded.mode, level = excluded.level, stages = excluded.stages,
                subjects = excluded.subjects
            """, new
        {
            m.CourseId, m.ContentId, m.Code, m.Version, m.Title, m.Hours, m.Category, m.Mode, m.Level, Stages = m.Stages.ToArray(),
            Subjects = m.Subjects.ToArray(), m.PublishedAt,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        foreach (var s in m.Sessions)
        {
            await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
                insert into course_sessions (id, course_id, place, starts_on, ends_on, capacity)
                values (@SessionId, @CourseId, @Place, @StartsOn, @EndsOn, @Capacity)
                on conflict (id) do update set place = excluded.place, starts_on = excluded.starts_on, ends_on = excluded.ends_on,
                    capacity = excluded.capacity
                """, new { s.SessionId, m.CourseId, s.Place, s.StartsOn, s.EndsOn, s.Capacity }, unitOfWork.Transaction,
                cancellationToken: cancellationToken));
        }
        // Tallies sum the course copy's hours: new hours (or a course its required enrollments were waiting for) move them.
        if (hoursBefore != m.Hours)
        {
            await ProgressTallyStore.RefreshCourseAsync(unitOfWork, m.CourseId, cancellationToken);
        }
    }
}

public sealed class CourseRetiredCopy(NpgsqlDataSource db) : IdempotentConsumer<CourseRetired>(db)
{
    // When the retirement overtakes the publication, a placeholder row keeps the status until the details arrive.
    protected override Task HandleAsync(CourseRetired m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into courses (id, content_id, code, version, title, hours, category, mode, level, stages, subjects, status, changed_at)
            values (@CourseId, @ContentId, '', 0, '', 0.1, '', '', '', '{}', '{}', 'retired', @RetiredAt)
            on conflict (id) do update set status = 'retired', changed_at = excluded.changed_at
            """, m, unitOfWork.Transaction, cancellationToken: cancellationToken));
}

public sealed class TopicDefinedCopy(NpgsqlDataSource db) : IdempotentConsumer<TopicDefined>(db)
{
    protected override Task HandleAsync(TopicDefined m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into topics (id, program_year_id, code, name, stages, course_ids, version)
            values (@TopicId, @ProgramYearId, @Code, @Name, @Stages, @CourseIds, @Version)
            on conflict (id) do update
            set code = excluded.code, name = excluded.name, stages = excluded.stages, course_ids = excluded.course_ids, version = excluded.version
            where topics.version < excluded.version
            """, new { m.TopicId, m.ProgramYearId, m.Code, m.Name, Stages = m.Stages.ToArray(), CourseIds = m.CourseIds.ToArray(), m.Version },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
}

public sealed class SchoolTopicsChosenCopy(NpgsqlDataSource db) : IdempotentConsumer<SchoolTopicsChosen>(db)
{
    protected override Task HandleAsync(SchoolTopicsChosen m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into school_topics (program_year_id, school_id, school_path, topic_ids, version, frozen)
            values (@ProgramYearId, @SchoolId, @SchoolPath, @TopicIds, @Version, @Frozen)
            on conflict (program_year_id, school_id) do update
            set school_path = excluded.school_path, topic_ids = excluded.topic_ids, version = excluded.version, frozen = excluded.frozen
            where school_topics.version < excluded.version
            """, new { m.ProgramYearId, m.SchoolId, m.SchoolPath, TopicIds = m.TopicIds.ToArray(), m.Version, Frozen = m.Change == TopicChoiceChanges.Frozen },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
}

/// <summary>A new or changed package is pushed to every teacher of its stage, in the background (see <see cref="RequiredPushWorker"/>).</summary>
public sealed class RequiredPackageDefinedCopy(NpgsqlDataSource db) : IdempotentConsumer<RequiredPackageDefined>(db)
{
    protected override async Task HandleAsync(RequiredPackageDefined m, UnitOfWork unitOfWork, CancellationToken cancellationToken)
    {
        var stored = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into required_packages (id, program_year_id, stage, subject, items, total_hours, version)
            values (@PackageId, @ProgramYearId, @Stage, @Subject, @Items::jsonb, @TotalHours, @Version)
            on conflict (program_year_id, stage, subject) do update
            set id = excluded.id, items = excluded.items, total_hours = excluded.total_hours, version = excluded.version
            where required_packages.version < excluded.version
            """, new { m.PackageId, m.ProgramYearId, m.Stage, m.Subject, Items = JsonSerializer.Serialize(m.Items, RequiredPush.Json), m.TotalHours, m.Version },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (stored > 0)
        {
            await RequiredPush.RequestAsync(unitOfWork, m.ProgramYearId, m.Stage, cancellationToken);
        }
    }
}
