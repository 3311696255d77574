using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Enrollment;
using TrainingPlatform.Services.Enrollment.Electives;
using TrainingPlatform.Services.Enrollment.Reports;

namespace TrainingPlatform.Services.Enrollment.Progress;

/// <summary>A batch of progress reports, applied together or not at all.</summary>
public sealed record ProgressBatch(
    [property: Required, Length(1, ProgressEndpoints.MaxBatch), Description("本批报告")] IReadOnlyList<ProgressReport>? Reports);

/// <summary>What became of one report of the batch, at its place in the batch.</summary>
public sealed record ProgressResult(
    [property: Description("报告编号")] string ReportId,
    [property: Codes(typeof(ProgressOutcomes))] string Outcome,
    [property: Codes(typeof(EnrollmentStatuses)), Description("处理后该选课的状态；completed 表示课程已完成")] string EnrollmentStatus);

/// <summary>The batch's answer: how many reports were applied, how many were repeats, and each report's outcome in batch order.</summary>
public sealed record ProgressBatchResult(
    [property: Description("本批新记录的报告数")] int Applied,
    [property: Description("本批中此前已记录过（同一编号、同一内容）的报告数，未重复计入")] int Duplicates,
    [property: Description("每条报告的结果，顺序与请求中的 reports 相同")] IReadOnlyList<ProgressResult> Results);

/// <summary>What the batch did with one report.</summary>
public static class ProgressOutcomes
{
    public const string Applied = "applied";
    public const string Duplicate = "duplicate";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Applied] = "已记录", [Duplicate] = "重复报告（此前已记录，未重复计入）",
    };
}

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
            .RequireAuthorization(p => p.RequireRole(Roles.LearningPlatform, Roles.PlatformOperator))
            .WithName("ReportProgress")
            .WithSummary("上报学习进度（批量）")
            .WithDescription($"""
                学习平台批量上报教师的学习进度、测试结果与作业提交情况。

                **批次**：每批 1–{MaxBatch} 条报告，整批在一个事务中处理：要么全部记录，要么全部不记录。任一报告字段无效答 400，errors 按 reports[i].字段 逐项列出；任一报告对应的课程该教师在该年度没有选（或已退选）答 422（rule = not-enrolled），整批未记录，去掉这些报告后重发即可。答复的 results 与请求中的 reports 一一对应、顺序相同。

                **幂等与重发**：每条报告须有学习平台生成的唯一编号 reportId（不超过 {CompletionRules.MaxReportIdLength} 字符）。同一编号、同一内容的报告无论重发多少次只记录一次，重发时答复中记为 duplicate；因此网络超时等不确定是否成功时，原样重发整批即可。同一编号用于内容不同的报告答 409（rule = report-id-reused），整批未记录：新的报告请使用新的编号。

                **乱序**：报告中的数字是截至 occurredAt 的累计值，而不是增量。学习分钟数、进度百分比与测试成绩取已记录值与报告值中的较大者，测试通过、作业已提交一经记录不会撤销，未给出的数字不改变已记录的值；因此报告先后到达的顺序不影响结果，迟到的旧报告不会让进度倒退。

                **完成**：进度达到 100%、测试已通过且作业已提交时，课程记为完成（enrollmentStatus = completed），并只通知一次（学时登记据此进行）。

                **限制**：每批最多 {MaxBatch} 条；网关按账号限流，超出时答 429，请按 Retry-After 稍后重试。
                """);
        return app;
    }

    private static async Task<Results<Ok<ProgressBatchResult>, ValidationFailed, RuleProblem, ConflictProblem>> ReportAsync(ProgressBatch batch,
        NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
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
        // Null where the teacher is not enrolled in the report's course.
        var results = new ProgressResult?[reports.Count];
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        // The teachers first (their tallies' lock), then their enrollments: the teacher copy's consumer takes them in that
        // order too, so the two cannot deadlock.
        var teachers = reports.Select(r => r.TeacherId!.Value).Distinct().ToList();
        await ProgressTallyStore.LockAsync(unitOfWork, teachers, cancellationToken);
        // Locked in a fixed order so two batches touching the same enrollments cannot deadlock.
        foreach (var (report, index) in reports.Select((r, i) => (r, i)).OrderBy(x => x.r.TeacherId).ThenBy(x => x.r.CourseId))
        {
            results[index] = await ApplyAsync(unitOfWork, report, now, cancellationToken);
        }
        // A report for a course the teacher is not in refuses the whole batch, like an invalid field: the transaction is
        // not committed, so nothing of it counts; the platform resends the rest (each report applies once by its id).
        for (var i = 0; i < results.Length; i++)
        {
            if (results[i] is null)
            {
                validation.Add($"reports[{i}].courseId", $"该教师在 {reports[i].ProgramYear} 年度没有选这门课程（或已退选），不能记录学习进度");
            }
        }
        if (!validation.IsValid)
        {
            return validation.ToRuleProblem(NotEnrolled, "批次中有报告对应的课程教师并未选修，整批未记录；请去掉这些报告后重发。");
        }
        var outcomes = results.Select(r => r!).ToList();
        // A report id the platform already used for other content: dropping it as a duplicate would lose this progress,
        // and applying it would make the id mean two things. The batch is refused, nothing of it recorded.
        if (outcomes.Select((r, i) => (r, i)).Where(x => x.r.Outcome == ReportIdReused).Select(x => x.i).ToList() is [var firstReused, ..] reused)
        {
            return Problems.Conflict(
                $"报告编号 {string.Join("、", reused.Select(i => reports[i].ReportId))} 已用于另一条内容不同的学习进度报告，整批未记录；"
                + "请为新的报告使用新的编号后重发。",
                ReportIdReused, $"reports[{firstReused}].reportId");
        }
        await ProgressTallyStore.RefreshAsync(unitOfWork, teachers, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(new ProgressBatchResult(outcomes.Count(r => r.Outcome == ProgressOutcomes.Applied),
            outcomes.Count(r => r.Outcome == ProgressOutcomes.Duplicate), outcomes));
    }

    private const string NotEnrolled = "not-enrolled";

    private const string ReportIdReused = "report-id-reused";

    /// <summary>Applies one report; null when the teacher is not enrolled in its course that year.</summary>
    private static async Task<ProgressResult?> ApplyAsync(UnitOfWork unitOfWork, ProgressReport report, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var enrollment = await ProgressStore.LockEnrollmentAsync(unitOfWork, report, cancellationToken);
        if (enrollment is null)
        {
            return null;
        }
        var fingerprint = CompletionRules.Fingerprint(report);
        if (!await ProgressStore.RecordAsync(unitOfWork, report, enrollment.Id, fingerprint, now, cancellationToken))
        {
            var earlier = await ProgressStore.EarlierAsync(unitOfWork, report.ReportId, cancellationToken);
            var same = earlier.EnrollmentId == enrollment.Id && (earlier.Fingerprint is null || earlier.Fingerprint == fingerprint);
            return new ProgressResult(report.ReportId!, same ? ProgressOutcomes.Duplicate : ReportIdReused, enrollment.Status);
        }

        var state = CompletionRules.Merge(new StudyState(enrollment.MinutesStudied, enrollment.Percent, enrollment.TestPassed, enrollment.TestScore,
            enrollment.AssignmentHandedIn), report);
        var completes = enrollment.Status == EnrollmentStatuses.Enrolled && CompletionRules.IsComplete(state);
        await ProgressStore.SaveAsync(unitOfWork, enrollment.Id, state, report.OccurredAt ?? now, completes, now, cancellationToken);
        if (completes)
        {
            var course = await ProgressStore.CourseAsync(unitOfWork, enrollment.CourseId, cancellationToken);
            await unitOfWork.PublishAsync(new CourseCompleted(enrollment.Id, enrollment.TeacherId, enrollment.CourseId, course.ContentId, course.Title,
                course.Hours, course.Category, course.Mode, course.Level, enrollment.ProgramYearId, enrollment.ProgramYearCode, enrollment.Kind, now),
                cancellationToken);
        }
        return new ProgressResult(report.ReportId!, ProgressOutcomes.Applied, completes ? EnrollmentStatuses.Completed : enrollment.Status);
    }
}
