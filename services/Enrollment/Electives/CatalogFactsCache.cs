using Dapper;
using Npgsql;
using TrainingPlatform.Contracts.Catalog;

namespace TrainingPlatform.Services.Enrollment.Electives;

/// <summary>
/// The catalog copies an elective choice reads (years by code, their course-selection adjustments, courses, topics'
/// courses, schools' topic choices), held in memory under the stamp of migration 0008. On course-selection day these
/// change a few times a day while every click read them again; now a click reads only the stamp, as the first statement
/// of the batch it sends anyway, and a replica that finds the stamp moved reloads before it decides — so a change the
/// copy consumers committed on any replica is seen by the very next choice on every replica.
/// </summary>
public sealed class CatalogFactsCache
{
    private readonly SemaphoreSlim _reloading = new(1, 1);
    private volatile CatalogFacts? _current;

    public const string StampSql = "select stamp from catalog_copy_stamp";

    /// <summary>The facts as of <paramref name="stamp"/> or later, read on <paramref name="connection"/> when the held ones are older.</summary>
    public async Task<CatalogFacts> AtLeastAsync(NpgsqlConnection connection, long stamp, CancellationToken cancellationToken)
    {
        if (_current is { } held && held.Stamp >= stamp)
        {
            return held;
        }
        // One reload per change, not one per click that noticed it.
        await _reloading.WaitAsync(cancellationToken);
        try
        {
            if (_current is { } reloaded && reloaded.Stamp >= stamp)
            {
                return reloaded;
            }
            var loaded = await LoadAsync(connection, cancellationToken);
            if (_current is null || loaded.Stamp > _current.Stamp)
            {
                _current = loaded;
            }
            return loaded;
        }
        finally
        {
            _reloading.Release();
        }
    }

    /// <summary>
    /// The stamp first: under READ COMMITTED each later statement sees at least what the stamp counted, so the facts are
    /// never older than their label (a change committed meanwhile makes them newer, and only costs one more reload).
    /// </summary>
    private static async Task<CatalogFacts> LoadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var reads = await connection.QueryMultipleAsync(new CommandDefinition($"""
            {StampSql};
            select {EnrollmentFacts.YearColumns} from program_years;
            select id, program_year_id, window_name, organisation_path, opens_on, closes_on, kind, reason, adjusted_at
            from window_adjustments where window_name = 'course_selection';
            select id, content_id, title, hours, category, mode, level, stages, status from courses;
            select id, course_ids from topics;
            select program_year_id, school_id, topic_ids from school_topics;
            """, cancellationToken: cancellationToken));
        var stamp = await reads.ReadSingleAsync<long>();
        var years = (await reads.ReadAsync<YearRow>()).ToList();
        var adjustments = (await reads.ReadAsync<AdjustmentRow>())
            .GroupBy(a => a.ProgramYearId)
            .ToDictionary(g => g.Key, g => g.Select(a => a.Adjustment).ToArray());
        var courses = (await reads.ReadAsync<CourseCopyRow>()).ToDictionary(c => c.Id);
        var topics = (await reads.ReadAsync<(Guid Id, Guid[] CourseIds)>()).ToDictionary(t => t.Id, t => t.CourseIds.ToHashSet());
        var schoolTopics = (await reads.ReadAsync<(Guid ProgramYearId, Guid SchoolId, Guid[] TopicIds)>())
            .ToDictionary(s => (s.ProgramYearId, s.SchoolId), s => s.TopicIds);
        return new CatalogFacts(stamp, years.ToDictionary(y => y.Code), years.ToDictionary(y => y.Id), adjustments, courses, topics, schoolTopics);
    }

    private sealed record AdjustmentRow
    {
        public Guid Id { get; init; }
        public Guid ProgramYearId { get; init; }
        public string WindowName { get; init; } = "";
        public string OrganisationPath { get; init; } = "";
        public DateOnly OpensOn { get; init; }
        public DateOnly ClosesOn { get; init; }
        public string Kind { get; init; } = "";
        public string Reason { get; init; } = "";
        public DateTimeOffset AdjustedAt { get; init; }

        public WindowAdjustment Adjustment => new()
        {
            Id = Id, WindowName = WindowName, OrganisationPath = OrganisationPath, OpensOn = OpensOn, ClosesOn = ClosesOn, Kind = Kind,
            Reason = Reason, AdjustedAt = AdjustedAt,
        };
    }
}

/// <summary>One consistent picture of the catalog copies, labelled with the stamp it was read under. Never changed once built.</summary>
public sealed class CatalogFacts(
    long stamp,
    IReadOnlyDictionary<string, YearRow> yearsByCode,
    IReadOnlyDictionary<Guid, YearRow> yearsById,
    IReadOnlyDictionary<Guid, WindowAdjustment[]> courseSelectionAdjustments,
    IReadOnlyDictionary<Guid, CourseCopyRow> courses,
    IReadOnlyDictionary<Guid, HashSet<Guid>> topicCourses,
    IReadOnlyDictionary<(Guid ProgramYearId, Guid SchoolId), Guid[]> schoolTopics)
{
    public long Stamp { get; } = stamp;

    public YearRow? Year(string code) => yearsByCode.GetValueOrDefault(code);

    public YearRow? Year(Guid id) => yearsById.GetValueOrDefault(id);

    public IReadOnlyList<WindowAdjustment> CourseSelectionAdjustments(Guid programYearId) =>
        courseSelectionAdjustments.GetValueOrDefault(programYearId) ?? [];

    public CourseCopyRow? Course(Guid id) => courses.GetValueOrDefault(id);

    public bool SchoolHasChosen(Guid programYearId, Guid schoolId) => schoolTopics.ContainsKey((programYearId, schoolId));

    /// <summary>Is the course in one of the topics the school chose for the year (topics as the copy has them, whatever their year)?</summary>
    public bool InSchoolTopics(Guid programYearId, Guid schoolId, Guid courseId) =>
        schoolTopics.TryGetValue((programYearId, schoolId), out var chosen)
        && chosen.Any(topic => topicCourses.TryGetValue(topic, out var inTopic) && inTopic.Contains(courseId));
}
