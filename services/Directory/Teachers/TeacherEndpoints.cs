using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Services.Directory.Teachers;

public static class TeacherEndpoints
{
    private static readonly string[] Admins = [Roles.PlatformOperator, Roles.DistrictAdmin, Roles.SchoolAdmin];

    public static IEndpointRouteBuilder MapTeacherEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/directory/teachers").WithTags("Teachers");
        group.MapPost("/", RegisterAsync).RequireAuthorization(p => p.RequireRole(Admins));
        group.MapGet("/", ListAsync).RequireAuthorization(p => p.RequireRole(Admins));
        group.MapGet("/{id:guid}", GetAsync);
        group.MapPost("/{id:guid}/transfer", TransferAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator, Roles.DistrictAdmin));
        return app;
    }

    private const string TransferSql = """
        update teachers set school_id = @ToSchoolId, version = version + 1, updated_at = @Now where id = @Id;
        insert into teacher_transfers (teacher_id, from_school_id, to_school_id, transferred_at, transferred_by)
        values (@Id, @FromSchoolId, @ToSchoolId, @Now, @By);
        """;

    private static async Task<IResult> RegisterAsync(TeacherInput input, HttpContext http, NpgsqlDataSource db, TeacherStore teachers,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = TeacherRules.Validate(input, ProvinceCalendar.Today(clock), out var nationalId);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var school = await TeacherStore.FindSchoolAsync(unitOfWork, input.SchoolCode!, cancellationToken);
        if (SchoolProblem(school, input.SchoolCode!, input.Stage!, http) is { } problem)
        {
            return problem;
        }

        var registered = await teachers.RegisterAsync(unitOfWork, input, nationalId!, school!, cancellationToken);
        if (registered is null)
        {
            var existing = await TeacherStore.FindAsync(unitOfWork, "t.national_id = @NationalId", new { NationalId = nationalId!.Value }, cancellationToken);
            return Problems.Conflict(existing?.SchoolId == school!.Id
                ? $"身份证号 {nationalId.Value} 的教师已在本校登记"
                : $"身份证号 {nationalId.Value} 的教师已在其他学校（{existing?.SchoolName}）登记；如为调动，请办理调动而不是重新登记", "teacher-registered", "nationalId");
        }
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/directory/teachers/{registered.Teacher.Id}",
            new { teacher = TeacherView.From(registered.Teacher), login = registered.Teacher.NationalId, registered.InitialPassword });
    }

    private static async Task<IResult> GetAsync(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var teacher = await TeacherStore.FindAsync(unitOfWork, "t.id = @Id", new { Id = id }, cancellationToken);
        // Out of scope looks the same as missing: a teacher's existence elsewhere is not this caller's business.
        return teacher is null || !PlatformUser.From(http.User).CanSeeTeacher(teacher.Id, teacher.SchoolPath)
            ? Problems.NotFound($"教师 {id} 不存在")
            : TypedResults.Ok(TeacherView.From(teacher));
    }

    private static async Task<IResult> ListAsync(string? schoolCode, int? page, int? pageSize, HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        var size = Math.Clamp(pageSize ?? 50, 1, 500);
        var offset = (Math.Max(page ?? 1, 1) - 1) * size;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (await ListedSchoolProblemAsync(connection, schoolCode, PlatformUser.From(http.User), cancellationToken) is { } problem)
        {
            return problem;
        }
        var rows = await TeacherStore.ListInScopeAsync(connection, PlatformUser.From(http.User), schoolCode, size, offset, cancellationToken);
        return TypedResults.Ok(rows.Select(TeacherView.From));
    }

    private static async Task<IResult> TransferAsync(Guid id, TransferRequest request, HttpContext http, NpgsqlDataSource db,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.SchoolCode))
        {
            return new Validation().Require(false, "schoolCode", "调入学校代码必填").ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var teacher = await TeacherStore.FindAsync(unitOfWork, "t.id = @Id for update of t", new { Id = id }, cancellationToken);
        if (teacher is null || !user.CanSeeTeacher(teacher.Id, teacher.SchoolPath))
        {
            return Problems.NotFound($"教师 {id} 不存在");
        }
        var school = await TeacherStore.FindSchoolAsync(unitOfWork, request.SchoolCode, cancellationToken);
        if (SchoolProblem(school, request.SchoolCode, teacher.Stage, http) is { } problem)
        {
            return problem;
        }
        if (school!.Id == teacher.SchoolId)
        {
            return Problems.Conflict($"教师已在 {school.Name}，无需调动", "already-at-school", "schoolCode");
        }

        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(TransferSql, new
        {
            Id = id, FromSchoolId = teacher.SchoolId, ToSchoolId = school.Id, Now = clock.GetUtcNow(), By = user.AccountId,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        var moved = await TeacherStore.FindAsync(unitOfWork, "t.id = @Id", new { Id = id }, cancellationToken);
        // Only the teacher's own sign-in moves with them: a staff account tied to the teacher (a county's guide) stays with its bureau.
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
            "update accounts set organisation_id = @SchoolId where teacher_id = @Id and role = 'teacher'", new { SchoolId = school.Id, Id = id },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
        await unitOfWork.PublishAsync(moved!.ToEvent(TeacherChanges.Transferred), cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(TeacherView.From(moved));
    }

    /// <summary>The school must exist, be a school, teach the stage, and be inside the caller's scope.</summary>
    private static IResult? SchoolProblem(SchoolRow? school, string code, string stage, HttpContext http)
    {
        if (school is null || school.Kind != OrganisationKinds.School)
        {
            return Problems.RuleBroken($"学校代码 {code} 不存在或不是学校", "unknown-school", "schoolCode");
        }
        if (!PlatformUser.From(http.User).CanSeeOrganisation(school.Path))
        {
            return Problems.Forbidden($"学校 {code} 不在你的管理范围内。");
        }
        return StageProblem(school, stage);
    }

    /// <summary>A teacher's stage must be one the school teaches; said with the stages' Chinese names.</summary>
    internal static IResult? StageProblem(SchoolRow school, string stage) =>
        school.Stages.Contains(stage)
            ? null
            : Problems.RuleBroken(
                $"{school.Name}没有{StageName(stage)}学段（该校学段：{string.Join("、", school.Stages.Select(StageName))}）", "stage-not-at-school", "stage");

    private static string StageName(string stage) => StageNames.Names.GetValueOrDefault(stage, stage);

    /// <summary>
    /// A school asked for by code in a list must exist and be the caller's to see: out of scope answers as missing,
    /// as every single read does, rather than an empty list that reads as "no teachers there".
    /// </summary>
    internal static async Task<IResult?> ListedSchoolProblemAsync(NpgsqlConnection connection, string? schoolCode, PlatformUser user,
        CancellationToken cancellationToken)
    {
        if (schoolCode is null)
        {
            return null;
        }
        var path = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "select path from organisations where code = @Code and kind = 'school'", new { Code = schoolCode.Trim() }, cancellationToken: cancellationToken));
        return path is null || !user.CanSeeOrganisation(path) ? Problems.NotFound($"学校 {schoolCode} 不存在或不在你的管理范围内") : null;
    }
}

public sealed record TransferRequest(string? SchoolCode);

public sealed record TeacherView(Guid Id, string NationalId, string Name, DateOnly BirthDate, string Sex, string SchoolCode, string SchoolName,
    string Stage, string Subject, DateOnly HireDate, int YearsOfService, bool NormalSchoolGraduate, bool ClassTeacher, string? Title,
    string Tier, bool InPost)
{
    public static TeacherView From(TeacherRow t) => new(t.Id, t.NationalId, t.Name, t.BirthDate, t.Sex, t.SchoolCode, t.SchoolName,
        t.Stage, t.Subject, t.HireDate, YearsBetween(t.HireDate, DateOnly.FromDateTime(DateTime.UtcNow)), t.NormalSchoolGraduate,
        t.ClassTeacher, t.Title, t.Tier, t.InPost);

    private static int YearsBetween(DateOnly from, DateOnly to) =>
        Math.Max(0, to.Year - from.Year - (to.DayOfYear < from.DayOfYear ? 1 : 0));
}
