using Dapper;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Spreadsheets;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Directory.Accounts;
using TrainingPlatform.Services.Directory.Imports;

namespace TrainingPlatform.Services.Directory.Teachers;

/// <summary>
/// What a school does for its teachers after an import: hand out one-time passwords, correct a profile. And the
/// reference lists every form needs.
/// </summary>
public static class TeacherAccountEndpoints
{
    /// <summary>Each one-time password is a deliberately slow hash; a request issues at most this many.</summary>
    private const int MaxPasswordsPerRequest = 500;

    public static IEndpointRouteBuilder MapTeacherAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var admins = new[] { Roles.PlatformOperator, Roles.DistrictAdmin, Roles.SchoolAdmin };
        var group = app.MapGroup("/api/directory").WithTags("Teachers");
        group.MapPost("/teachers/initial-passwords", IssueInitialPasswordsAsync).RequireAuthorization(p => p.RequireRole(admins));
        group.MapPut("/teachers/{id:guid}", UpdateProfileAsync).RequireAuthorization(p => p.RequireRole(admins));
        group.MapGet("/reference/subjects", () => TypedResults.Ok(new { stages = Subjects.ByStage, tiers = Tiers.All }));
        return app;
    }

    private const string WithoutPasswordSql = """
        select a.id, t.national_id, t.name
        from accounts a join teachers t on t.id = a.teacher_id join organisations s on s.id = t.school_id
        where s.code = @SchoolCode and a.password_hash = ''
        order by t.name, t.national_id
        limit @Limit
        for update of a skip locked
        """;

    /// <summary>
    /// One-time passwords for the school's teachers who have none yet (imported ones), returned once as a sheet
    /// for the school to hand out. Each allows nothing but setting the teacher's own password.
    /// </summary>
    private static async Task<IResult> IssueInitialPasswordsAsync(IssuePasswordsRequest request, HttpContext http, NpgsqlDataSource db,
        IPasswordHasher<AccountRow> hasher, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.SchoolCode))
        {
            return new Validation().Require(false, "schoolCode", "学校代码必填").ToProblem();
        }
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var school = await TeacherStore.FindSchoolAsync(unitOfWork, request.SchoolCode, cancellationToken);
        if (school is null || !PlatformUser.From(http.User).CanSeeOrganisation(school.Path))
        {
            return Problems.NotFound($"学校 {request.SchoolCode} 不存在或不在你的管理范围内");
        }

        var accounts = (await unitOfWork.Connection.QueryAsync<(Guid Id, string NationalId, string Name)>(new CommandDefinition(
            WithoutPasswordSql, new { SchoolCode = school.Code, Limit = MaxPasswordsPerRequest }, unitOfWork.Transaction,
            cancellationToken: cancellationToken))).ToList();
        var issued = new (Guid Id, string NationalId, string Name, string Password, string Hash)[accounts.Count];
        // The hashing is the cost of this request: spread it over the cores.
        Parallel.For(0, accounts.Count, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            var password = AccountEndpoints.InitialPassword(accounts[i].NationalId, accounts[i].Name, accounts[i].NationalId);
            issued[i] = (accounts[i].Id, accounts[i].NationalId, accounts[i].Name, password, hasher.HashPassword(new AccountRow(), password));
        });
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
            "update accounts set password_hash = @Hash, must_change_password = true where id = @Id",
            issued.Select(a => new { a.Id, a.Hash }), unitOfWork.Transaction, cancellationToken: cancellationToken));
        await unitOfWork.CommitAsync(cancellationToken);

        var sheet = XlsxSheet.Write("初始密码", ["身份证号", "姓名", "初始密码"],
            issued.Select(a => (IReadOnlyList<object?>)[a.NationalId, a.Name, a.Password]));
        http.Response.Headers["X-Passwords-Issued"] = issued.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.File(sheet, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", $"initial-passwords-{school.Code}.xlsx");
    }

    /// <summary>Corrects a profile. The ID number never changes, and a change of school is a transfer.</summary>
    private static async Task<IResult> UpdateProfileAsync(Guid id, TeacherInput input, HttpContext http, NpgsqlDataSource db, TeacherStore teachers,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = TeacherRules.Validate(input, ProvinceCalendar.Today(clock), out var nationalId);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var teacher = await TeacherStore.FindAsync(unitOfWork, "t.id = @Id for update of t", new { Id = id }, cancellationToken);
        if (teacher is null || !PlatformUser.From(http.User).CanSeeTeacher(teacher.Id, teacher.SchoolPath))
        {
            return Problems.NotFound($"教师 {id} 不存在");
        }
        if (nationalId!.Value != teacher.NationalId)
        {
            return Problems.RuleBroken("身份证号不可修改；如登记有误，请联系平台运营核实", "national-id-unchangeable", "nationalId");
        }
        if (input.SchoolCode!.Trim() != teacher.SchoolCode)
        {
            return Problems.RuleBroken("更换学校请办理教师调动，不能在修改档案时改学校", "school-change-is-transfer", "schoolCode");
        }
        var school = await TeacherStore.FindSchoolAsync(unitOfWork, teacher.SchoolCode, cancellationToken);
        if (TeacherEndpoints.StageProblem(school!, input.Stage!) is { } stageProblem)
        {
            return stageProblem;
        }

        await teachers.UpdateProfileAsync(unitOfWork, teacher, input, cancellationToken);
        var updated = await TeacherStore.FindAsync(unitOfWork, "t.id = @Id", new { Id = id }, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(TeacherView.From(updated!));
    }
}

public sealed record IssuePasswordsRequest(string? SchoolCode);
