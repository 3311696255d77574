using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Enrollment;

namespace TrainingPlatform.Services.Enrollment.Progress;

public sealed record ProgressBatch(IReadOnlyList<ProgressReport>? Reports);

public sealed record ProgressResult(string? ReportId, string Outcome, string? EnrollmentStatus);

/// <summary>
/// The learning side reports study progress, test results and hand-ins, in batches. Each report is applied once
/// (by its id), merged so that order does not matter, and a course is completed — and announced — exactly once.
/// </summary>
public static class ProgressEndpoints
{
    public const int MaxBatch = 500;

    public static IEndpointRouteBuilder MapProgressEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/enrollment/progress", ReportAsync).WithTags("Progress")
            .RequireAuthorization(p => p.RequireRole(Roles.LearningPlatform, Roles.PlatformOperator));
        return app;
    }

    private sealed record EnrollmentState
    {
        public Guid Id { get; init; }
        public Guid TeacherId { get; init; }
        public Guid ProgramYearId { get; init; }
        public string ProgramYearCode { get; init; } = "";
        public Guid CourseId { get; init; }
        public string Kind { get; init; } = "";
        public string Status { get; init; } = "";
        public int MinutesStudied { get; init; }
        public decimal Percent { get; init; }
        public bool TestPassed { get; init; }
        public decimal? TestScore { get; init; }
        public bool AssignmentHandedIn { get; init; }
    }

    private static async Task<IResult> ReportAsync(ProgressBatch batch, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var reports = batch.Reports ?? [];
        var validation = new Validation().Require(reports.Count is > 0 and <= MaxBatch, "reports", $"每批 1–{MaxBatch} 条报告");
        foreach (var (report, at) in validation.Elements(reports, "reports"))
        {
            foreach (var (field, rule) in CompletionRules.Problems(report))
            {
                validation.Add($"{at}.{field}", rule);
            }
        }
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var now = clock.GetUtcNow();
        var results = new ProgressResult[reports.Count];
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        // Locked in a fixed order so two batches touching the same enrollments cannot deadlock.
        foreach (var (report, index) in reports.Select((r, i) => (r, i)).OrderBy(x => x.r.TeacherId).ThenBy(x => x.r.CourseId))
        {
            results[index] = await ApplyAsync(unitOfWork, report, now, cancellationToken);
        }
        // A report for a course the teacher is not in refuses the whole batch, like an invalid field: the transaction is
        // not committed, so nothing of it counts; the platform resends the rest (each report applies once by its id).
        for (var i = 0; i < results.Length; i++)
        {
            if (results[i].Outcome == NotEnrolled)
            {
                validation.Add($"reports[{i}].courseId", $"该教师在 {reports[i].ProgramYear} 年度没有选这门课程（或已退选），不能记录学习进度");
            }
        }
        if (!validation.IsValid)
        {
            return validation.ToRuleProblem(NotEnrolled, "批次中有报告对应的课程教师并未选修，整批未记录；请去掉这些报告后重发。");
        }
        // A report id the platform already used for other content: dropping it as a duplicate would lose this progress,
        // and applying it would make the id mean two things. The batch is refused, nothing of it recorded.
        if (results.Select((r, i) => (r, i)).Where(x => x.r.Outcome == ReportIdReused).Select(x => x.i).ToList() is [var firstReused, ..] reused)
        {
            return Problems.Conflict(
                $"报告编号 {string.Join("、", reused.Select(i => reports[i].ReportId))} 已用于另一条内容不同的学习进度报告，整批未记录；"
                + "请为新的报告使用新的编号后重发。",
                ReportIdReused, $"reports[{firstReused}].reportId");
        }
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(new
        {
            applied = results.Count(r => r.Outcome == "applied"),
            duplicates = results.Count(r => r.Outcome == "duplicate"),
            results,
        });
    }

    private const string NotEnrolled = "not-enrolled";

    private const string ReportIdReused = "report-id-reused";

    private static async Task<ProgressResult> ApplyAsync(UnitOfWork unitOfWork, ProgressReport report, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var enrollment = await unitOfWork.Connection.QuerySingleOrDefaultAsync<EnrollmentState>(new CommandDefinition("""
            select e.id, e.teacher_id, e.program_year_id, y.code as program_year_code, e.course_id, e.kind, e.status, e.minutes_studied, e.percent,
                   e.test_passed, e.test_score, e.assignment_handed_in
            from enrollments e join program_years y on y.id = e.program_year_id
            where e.teacher_id = @TeacherId and e.course_id = @CourseId and y.code = @ProgramYear and e.status <> 'withdrawn'
            for update of e
            """, new { report.TeacherId, report.CourseId, report.ProgramYear }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (enrollment is null)
        {
            return new ProgressResult(report.ReportId, NotEnrolled, null);
        }
        var fingerprint = CompletionRules.Fingerprint(report);
        var recorded = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into progress_reports (report_id, enrollment_id, received_at, content_fingerprint)
            values (@ReportId, @EnrollmentId, @Now, @Fingerprint)
            on conflict (report_id) do nothing
            """, new { report.ReportId, EnrollmentId = enrollment.Id, Now = now, Fingerprint = fingerprint }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));
        if (recorded == 0)
        {
            var earlier = await unitOfWork.Connection.QuerySingleAsync<(Guid EnrollmentId, string? Fingerprint)>(new CommandDefinition(
                "select enrollment_id, content_fingerprint from progress_reports where report_id = @ReportId",
                new { report.ReportId }, unitOfWork.Transaction, cancellationToken: cancellationToken));
            var same = earlier.EnrollmentId == enrollment.Id && (earlier.Fingerprint is null || earlier.Fingerprint == fingerprint);
            return new ProgressResult(report.ReportId, same ? "duplicate" : ReportIdReused, enrollment.Status);
        }

        var state = CompletionRules.Merge(new StudyState(enrollment.MinutesStudied, enrollment.Percent, enrollment.TestPassed, enrollment.TestScore,
            enrollment.AssignmentHandedIn), report);
        var completes = enrollment.Status == "enrolled" && CompletionRules.IsComplete(state);
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            update enrollments
            set minutes_studied = @MinutesStudied, percent = @Percent, test_passed = @TestPassed, test_score = @TestScore,
                assignment_handed_in = @AssignmentHandedIn, last_report_at = greatest(last_report_at, @OccurredAt),
                status = case when @Completes then 'completed' else status end,
                completed_at = case when @Completes then @Now else completed_at end
            where id = @Id
            """, new
        {
            enrollment.Id, state.MinutesStudied, state.Percent, state.TestPassed, state.TestScore, state.AssignmentHandedIn,
            OccurredAt = report.OccurredAt ?? now, Completes = completes, Now = now,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (completes)
        {
            var course = await unitOfWork.Connection.QuerySingleAsync<(Guid ContentId, string Title, decimal Hours, string Category, string Mode, string Level)>(
                new CommandDefinition("select content_id, title, hours, category, mode, level from courses where id = @CourseId",
                    new { enrollment.CourseId }, unitOfWork.Transaction, cancellationToken: cancellationToken));
            await unitOfWork.PublishAsync(new CourseCompleted(enrollment.Id, enrollment.TeacherId, enrollment.CourseId, course.ContentId, course.Title,
                course.Hours, course.Category, course.Mode, course.Level, enrollment.ProgramYearId, enrollment.ProgramYearCode, enrollment.Kind, now),
                cancellationToken);
        }
        return new ProgressResult(report.ReportId, "applied", completes ? "completed" : enrollment.Status);
    }
}
