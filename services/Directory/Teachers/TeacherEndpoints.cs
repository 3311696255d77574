using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Text;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Services.Directory.Teachers;

public static class TeacherEndpoints
{
    private static readonly string[] Admins = [Roles.PlatformOperator, Roles.DistrictAdmin, Roles.SchoolAdmin];

    /// <summary>A page of the teacher list holds at most this many.</summary>
    public const int MaxPageSize = 500;

    public static IEndpointRouteBuilder MapTeacherEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/directory/teachers").WithTags("Teachers");
        group.MapPost("/", RegisterAsync).RequireAuthorization(p => p.RequireRole(Admins))
            .WithName("RegisterTeacher").WithSummary("登记教师")
            .WithDescription("登记教师档案并开通登录账号（账号为身份证号）；出生日期与性别由身份证号读出。响应中的初始密码只出现这一次。"
                + "身份证号已登记的答 409（调动请用调动接口）。");
        group.MapGet("/", ListAsync).RequireAuthorization(p => p.RequireRole(Admins))
            .WithName("ListTeachers").WithSummary("列出辖区内的教师")
            .WithDescription($"按学校、姓名排序分页；pageSize 默认 50，超出 1–{MaxPageSize} 按边界取值，page 从 1 起。");
        group.MapGet("/{id:guid}", GetAsync)
            .WithName("GetTeacher").WithSummary("查看教师档案")
            .WithDescription("教师可看本人档案（含完整身份证号）；管理员可看辖区内教师（身份证号脱敏）。不在范围内的与不存在的一样答 404。");
        group.MapPost("/{id:guid}/transfer", TransferAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator, Roles.DistrictAdmin))
            .WithName("TransferTeacher").WithSummary("教师调动（调入另一所学校）")
            .WithDescription("教师本人的登录账号随之调动；调入学校须开设该教师的学段，且在调动人的管理范围内。");
        return app;
    }

    private static async Task<Results<Created<RegisteredTeacherView>, ValidationFailed, RuleProblem, ForbiddenProblem, ConflictProblem>> RegisterAsync(
        TeacherInput input, HttpContext http, NpgsqlDataSource db, TeacherStore teachers, TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = TeacherRules.Validate(input, ProvinceCalendar.Today(clock), out var nationalId);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var school = await TeacherStore.FindSchoolAsync(unitOfWork, input.SchoolCode!, cancellationToken);
        if (UnknownSchool(school, input.SchoolCode!) is { } unknown)
        {
            return unknown;
        }
        if (OutOfScope(school!, input.SchoolCode!, http) is { } forbidden)
        {
            return forbidden;
        }
        if (StageProblem(school!, input.Stage!) is { } stageProblem)
        {
            return stageProblem;
        }

        var registered = await teachers.RegisterAsync(unitOfWork, input, nationalId!, school!, cancellationToken);
        if (registered is null)
        {
            var existing = await TeacherStore.FindByNationalIdAsync(unitOfWork, nationalId!.Value, cancellationToken);
            return Problems.Conflict(existing?.SchoolId == school!.Id
                ? $"身份证号 {nationalId.Value} 的教师已在本校登记"
                : $"身份证号 {nationalId.Value} 的教师已在其他学校（{existing?.SchoolName}）登记；如为调动，请办理调动而不是重新登记", "teacher-registered", "nationalId");
        }
        var t = registered.Teacher;
        await AuditTrail.RecordAsync(unitOfWork, http, DirectoryAudit.TeacherRegistered, DirectoryAudit.Teacher, t.Id.ToString(),
            $"登记教师 {t.Name}（{t.SchoolName}，{DirectoryAudit.StageName(t.Stage)}{t.Subject}），开通登录账号并生成初始密码", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/directory/teachers/{registered.Teacher.Id}",
            new RegisteredTeacherView(TeacherView.From(registered.Teacher), registered.Teacher.NationalId, registered.InitialPassword));
    }

    private static async Task<Results<Ok<TeacherView>, NotFoundProblem>> GetAsync(Guid id, HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var teacher = await TeacherStore.FindAsync(unitOfWork, id, cancellationToken);
        // Out of scope looks the same as missing: a teacher's existence elsewhere is not this caller's business.
        var user = PlatformUser.From(http.User);
        return teacher is null || !user.CanSeeTeacher(teacher.Id, teacher.SchoolPath)
            ? Problems.NotFound($"教师 {id} 不存在")
            : TypedResults.Ok(TeacherView.For(teacher, user));
    }

    private static async Task<Results<Ok<IEnumerable<TeacherView>>, ValidationFailed, NotFoundProblem>> ListAsync(
        [Description("只列这所学校的教师（学校代码）")] string? schoolCode,
        [Range(1, int.MaxValue), Description("页码，从 1 起")] int? page,
        [Range(1, MaxPageSize), Description("每页条数，默认 50")] int? pageSize,
        HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        // Refused rather than quietly clamped: page 0 or 9,999 a page is a caller's mistake, and the document says so.
        var validation = new Validation()
            .Require(page is null or >= 1, "page", "页码从 1 开始", Validation.OutOfRange)
            .Require(pageSize is null or (>= 1 and <= MaxPageSize), "pageSize", $"每页 1–{MaxPageSize} 条", Validation.OutOfRange);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var size = pageSize ?? 50;
        // long: a page number near int.MaxValue times the size is past int.
        var offset = ((page ?? 1) - 1L) * size;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (await ListedSchoolProblemAsync(connection, schoolCode, PlatformUser.From(http.User), cancellationToken) is { } problem)
        {
            return problem;
        }
        var rows = await TeacherStore.ListInScopeAsync(connection, PlatformUser.From(http.User), schoolCode, size, offset, cancellationToken);
        return TypedResults.Ok(rows.Select(TeacherView.From));
    }

    private static async Task<Results<Ok<TeacherView>, ValidationFailed, NotFoundProblem, RuleProblem, ForbiddenProblem, ConflictProblem>> TransferAsync(
        Guid id, TransferRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.SchoolCode))
        {
            return new Validation().Require(false, "schoolCode", "调入学校代码必填", Validation.Required).ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var teacher = await TeacherStore.FindForUpdateAsync(unitOfWork, id, cancellationToken);
        if (teacher is null || !user.CanSeeTeacher(teacher.Id, teacher.SchoolPath))
        {
            return Problems.NotFound($"教师 {id} 不存在");
        }
        var school = await TeacherStore.FindSchoolAsync(unitOfWork, request.SchoolCode, cancellationToken);
        if (UnknownSchool(school, request.SchoolCode) is { } unknown)
        {
            return unknown;
        }
        if (OutOfScope(school!, request.SchoolCode, http) is { } forbidden)
        {
            return forbidden;
        }
        if (StageProblem(school!, teacher.Stage) is { } stageProblem)
        {
            return stageProblem;
        }
        if (school!.Id == teacher.SchoolId)
        {
            return Problems.Conflict($"教师已在 {school.Name}，无需调动", "already-at-school", "schoolCode");
        }

        var moved = await TeacherStore.TransferAsync(unitOfWork, teacher, school, clock.GetUtcNow(), user.AccountId, cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, DirectoryAudit.TeacherTransferred, DirectoryAudit.Teacher, teacher.Id.ToString(),
            $"教师 {teacher.Name} 由 {teacher.SchoolName}（{teacher.SchoolCode}）调入 {school.Name}（{school.Code}），登录账号随之调动", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(TeacherView.From(moved));
    }

    /// <summary>The school must exist and be a school.</summary>
    private static RuleProblem? UnknownSchool(SchoolRow? school, string code) =>
        school is null || school.Kind != OrganisationKinds.School
            ? Problems.RuleBroken($"学校代码 {code} 不存在或不是学校", "unknown-school", "schoolCode")
            : null;

    /// <summary>The school must be inside the caller's scope.</summary>
    private static ForbiddenProblem? OutOfScope(SchoolRow school, string code, HttpContext http) =>
        PlatformUser.From(http.User).CanSeeOrganisation(school.Path) ? null : Problems.Forbidden($"学校 {code} 不在你的管理范围内。");

    /// <summary>A teacher's stage must be one the school teaches; said with the stages' Chinese names.</summary>
    internal static RuleProblem? StageProblem(SchoolRow school, string stage) =>
        school.Stages.Contains(stage)
            ? null
            : Problems.RuleBroken(
                $"{school.Name}没有{StageName(stage)}学段（该校学段：{string.Join("、", school.Stages.Select(StageName))}）", "stage-not-at-school", "stage");

    private static string StageName(string stage) => StageNames.Names.GetValueOrDefault(stage, stage);

    /// <summary>
    /// A school asked for by code in a list must exist and be the caller's to see: out of scope answers as missing,
    /// as every single read does, rather than an empty list that reads as "no teachers there".
    /// </summary>
    internal static async Task<NotFoundProblem?> ListedSchoolProblemAsync(NpgsqlConnection connection, string? schoolCode, PlatformUser user,
        CancellationToken cancellationToken)
    {
        if (schoolCode is null)
        {
            return null;
        }
        var path = await TeacherStore.SchoolPathAsync(connection, schoolCode, cancellationToken);
        return path is null || !user.CanSeeOrganisation(path) ? Problems.NotFound($"学校 {schoolCode} 不存在或不在你的管理范围内") : null;
    }
}

public sealed record TransferRequest([property: Required, Description("调入学校的代码")] string? SchoolCode);

/// <summary>A registered teacher, the login of their account, and its one-time initial password (shown only in this answer).</summary>
public sealed record RegisteredTeacherView(
    TeacherView Teacher,
    [property: Description("登录账号：完整身份证号（登记人刚刚录入，连同初始密码交给教师；之后各处只显示脱敏号码）")] string Login,
    [property: Description("初始密码，只在此返回一次；首次登录后必须修改")] string InitialPassword);

/// <summary>
/// A teacher's profile as shown. The ID number is masked (<see cref="PersonalData.MaskNationalId"/>) for everyone but
/// the teacher: administrators read the full number only on an explicit, audited request (GetTeacherNationalId).
/// </summary>
public sealed record TeacherView(Guid Id,
    [property: Description("身份证号：脱敏显示（如 3716**********0028）；教师本人查看本人档案时为完整号码。管理员查看完整号码请调用“查看教师完整身份证号”（记入审计）")] string NationalId,
    string Name, DateOnly BirthDate,
    [property: Description("性别：male 或 female，由身份证号读出")] string Sex, string SchoolCode, string SchoolName,
    [property: Codes(typeof(StageNames))] string Stage,
    [property: Codes(typeof(Subjects))] string Subject,
    DateOnly HireDate,
    [property: Description("教龄（整年），按入职日期计算")] int YearsOfService,
    bool NormalSchoolGraduate, bool ClassTeacher, string? Title,
    [property: Codes(typeof(Tiers))] string Tier, bool InPost)
{
    /// <summary>The view with the ID number masked: what lists, pages and every administrator's answer show.</summary>
    public static TeacherView From(TeacherRow t) => From(t, fullNationalId: false);

    /// <summary>The view for <paramref name="user"/>: the full ID number only for the teacher themself.</summary>
    public static TeacherView For(TeacherRow t, PlatformUser user) => From(t, fullNationalId: user.TeacherId == t.Id);

    private static TeacherView From(TeacherRow t, bool fullNationalId) => new(t.Id,
        fullNationalId ? t.NationalId : PersonalData.MaskNationalId(t.NationalId), t.Name, t.BirthDate, t.Sex, t.SchoolCode, t.SchoolName,
        t.Stage, t.Subject, t.HireDate, YearsBetween(t.HireDate, DateOnly.FromDateTime(DateTime.UtcNow)), t.NormalSchoolGraduate,
        t.ClassTeacher, t.Title, t.Tier, t.InPost);

    private static int YearsBetween(DateOnly from, DateOnly to) =>
        Math.Max(0, to.Year - from.Year - (to.DayOfYear < from.DayOfYear ? 1 : 0));
}
