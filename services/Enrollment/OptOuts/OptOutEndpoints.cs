using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Enrollment;
using TrainingPlatform.Services.Enrollment.Electives;
using TrainingPlatform.Services.Enrollment.Reports;

namespace TrainingPlatform.Services.Enrollment.OptOuts;

/// <summary>A school's record that a teacher does not train this year.</summary>
public sealed record RecordOptOut(
    [property: Required, Description("不参训的教师")] Guid? TeacherId,
    [property: Required, MinLength(1), MaxLength(OptOutEndpoints.MaxStatementReference),
        Description("纸质保证书的存档编号（教科室留存）")] string? StatementReference,
    [property: MaxLength(OptOutEndpoints.MaxReason), Description("原因")] string? Reason);

/// <summary>The opt-out as recorded.</summary>
public sealed record OptOutRecorded(Guid TeacherId, string Name, string StatementReference, DateTimeOffset RecordedAt);

/// <summary>
/// A school records a teacher's opt-out (seed 004, school 2: 不参加的教师须填写保证书交教科室留存), with the signed
/// statement's reference. It is announced, shown in reports, and counts against the teacher's year.
/// </summary>
public static class OptOutEndpoints
{
    public const int MaxStatementReference = 100;
    public const int MaxReason = 500;

    private const string YearText = "年度代码，如 2026";

    public static IEndpointRouteBuilder MapOptOutEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/enrollment/years/{year}/opt-outs").WithTags("Opt-outs");
        group.MapPost("/", RecordAsync).RequireAuthorization(p => p.RequireRole(Roles.SchoolAdmin))
            .WithName("RecordOptOut")
            .WithSummary("登记教师本年度不参训")
            .WithDescription("学校登记本校教师本年度不参训（须有纸质保证书编号）。登记后该教师本年度不能选课，考核记为不合格；每名教师每年度只登记一次（重复登记答 409，rule = opt-out-recorded）。");
        group.MapGet("/", ListAsync).RequireAuthorization(p => p.RequireRole(Roles.SchoolAdmin, Roles.DistrictAdmin, Roles.PlatformOperator))
            .WithName("ListOptOuts")
            .WithSummary("本年度不参训教师名单")
            .WithDescription("本账号管理范围内已登记不参训的教师，按学校、姓名排序；年度不存在时为空列表。");
        return app;
    }

    private static async Task<Results<Created<OptOutRecorded>, ValidationFailed, NotFoundProblem, ConflictProblem>> RecordAsync(
        [Description(YearText)] string year, RecordOptOut request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Require(request.TeacherId is not null, "teacherId", "教师必填")
            .Require(!string.IsNullOrWhiteSpace(request.StatementReference) && request.StatementReference.Length <= MaxStatementReference, "statementReference",
                $"保证书编号必填（纸质保证书的存档编号），不超过 {MaxStatementReference} 字")
            .Require((request.Reason ?? "").Length <= MaxReason, "reason", $"原因不超过 {MaxReason} 字");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var programYear = await EnrollmentFacts.YearAsync(unitOfWork.Connection, year, cancellationToken);
        var teacher = await EnrollmentFacts.TeacherAsync(unitOfWork.Connection, request.TeacherId!.Value, cancellationToken);
        if (programYear is null)
        {
            return Problems.NotFound($"年度 {year} 不存在");
        }
        if (teacher is null || !user.CanSeeTeacher(teacher.Id, teacher.SchoolPath))
        {
            return Problems.NotFound("教师不存在或不在你的学校");
        }
        var now = clock.GetUtcNow();
        var by = $"{user.Name} ({user.AccountId})";
        var statementReference = request.StatementReference!.Trim();
        if (!await OptOutStore.RecordAsync(unitOfWork, teacher.Id, programYear.Id, statementReference, request.Reason ?? "", by, now, cancellationToken))
        {
            return Problems.Conflict($"{teacher.Name} 的 {year} 年度不参训已登记", "opt-out-recorded");
        }
        await unitOfWork.PublishAsync(new TeacherOptedOut(teacher.Id, programYear.Id, programYear.Code, statementReference,
            request.Reason ?? "", by, now), cancellationToken);
        await ProgressTallyStore.RefreshAsync(unitOfWork, [teacher.Id], cancellationToken, programYear.Id);
        await AuditTrail.RecordAsync(unitOfWork, http, "opt-out-recorded", "teacher", teacher.Id.ToString(),
            $"登记 {teacher.Name} {year} 年度不参训，保证书编号 {statementReference}" + (string.IsNullOrWhiteSpace(request.Reason) ? "" : $"，原因：{request.Reason}"),
            cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/enrollment/years/{year}/opt-outs", new OptOutRecorded(teacher.Id, teacher.Name, statementReference, now));
    }

    private static async Task<Ok<IReadOnlyList<OptOutView>>> ListAsync([Description(YearText)] string year, HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok(await OptOutStore.ListAsync(connection, year, PlatformUser.From(http.User), cancellationToken));
    }
}

/// <summary>A recorded opt-out, as the school's list shows it.</summary>
public sealed record OptOutView
{
    public Guid TeacherId { get; init; }
    public string Name { get; init; } = "";
    public string SchoolPath { get; init; } = "";
    public string StatementReference { get; init; } = "";
    public string Reason { get; init; } = "";
    public string RecordedBy { get; init; } = "";
    public DateTimeOffset RecordedAt { get; init; }
}
