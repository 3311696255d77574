using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
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
        group.MapPost("/teachers/initial-passwords", IssueInitialPasswordsAsync).RequireAuthorization(p => p.RequireRole(admins))
            .Produces(StatusCodes.Status200OK, typeof(Stream), XlsxContentType)
            .WithName("IssueInitialPasswords").WithSummary("为本校尚无密码的教师生成初始密码（下载表格）")
            .WithDescription($"为学校中从未设置密码的教师（批量导入的）各生成一次性初始密码，以 XLSX 表格（身份证号、姓名、初始密码）返回，只返回这一次；"
                + $"每次最多 {MaxPasswordsPerRequest} 人，更多请再次调用。响应头 X-Passwords-Issued 为本次生成的人数。初始密码只能用于设置本人密码。");
        group.MapPut("/teachers/{id:guid}", UpdateProfileAsync).RequireAuthorization(p => p.RequireRole(admins))
            .WithName("UpdateTeacherProfile").WithSummary("修改教师档案")
            .WithDescription("身份证号不可修改；更换学校须办理调动。");
        group.MapGet("/reference/subjects", GetSubjectReference).WithTags("Reference")
            .WithName("GetSubjectReference").WithSummary("学段、学科与发展层级代码表");
        return app;
    }

    private const string XlsxContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    private static Ok<SubjectReference> GetSubjectReference() => TypedResults.Ok(new SubjectReference(Subjects.ByStage, Tiers.All));

    /// <summary>
    /// One-time passwords for the school's teachers who have none yet (imported ones), returned once as a sheet
    /// for the school to hand out. Each allows nothing but setting the teacher's own password.
    /// </summary>
    private static async Task<Results<FileContentHttpResult, ValidationFailed, NotFoundProblem>> IssueInitialPasswordsAsync(
        IssuePasswordsRequest request, HttpContext http, NpgsqlDataSource db, IPasswordHasher<AccountRow> hasher, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.SchoolCode))
        {
            return new Validation().Require(false, "schoolCode", "学校代码必填", Validation.Required).ToProblem();
        }
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var school = await TeacherStore.FindSchoolAsync(unitOfWork, request.SchoolCode, cancellationToken);
        if (school is null || !PlatformUser.From(http.User).CanSeeOrganisation(school.Path))
        {
            return Problems.NotFound($"学校 {request.SchoolCode} 不存在或不在你的管理范围内");
        }

        var accounts = await TeacherStore.WithoutPasswordAsync(unitOfWork, school.Code, MaxPasswordsPerRequest, cancellationToken);
        var issued = new (Guid Id, string NationalId, string Name, string Password, string Hash)[accounts.Count];
        // The hashing is the cost of this request: spread it over the cores.
        Parallel.For(0, accounts.Count, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            var password = AccountEndpoints.InitialPassword(accounts[i].NationalId, accounts[i].Name, accounts[i].NationalId);
            issued[i] = (accounts[i].AccountId, accounts[i].NationalId, accounts[i].Name, password, hasher.HashPassword(new AccountRow(), password));
        });
        await TeacherStore.SetInitialPasswordsAsync(unitOfWork, issued.Select(a => (a.Id, a.Hash)), cancellationToken);
        // Who was given one, by name; the passwords themselves are in the sheet only. Nobody without a password: nothing changed.
        if (issued.Length > 0)
        {
            await AuditTrail.RecordAsync(unitOfWork, http, DirectoryAudit.InitialPasswordsIssued, DirectoryAudit.School, school.Code,
                $"为 {school.Name}（{school.Code}）的 {issued.Length} 名教师生成一次性初始密码：{DirectoryAudit.Names([.. issued.Select(a => a.Name)])}",
                cancellationToken);
        }
        await unitOfWork.CommitAsync(cancellationToken);

        var sheet = XlsxSheet.Write("初始密码", ["身份证号", "姓名", "初始密码"],
            issued.Select(a => (IReadOnlyList<object?>)[a.NationalId, a.Name, a.Password]));
        http.Response.Headers["X-Passwords-Issued"] = issued.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.File(sheet, XlsxContentType, $"initial-passwords-{school.Code}.xlsx");
    }

    /// <summary>Corrects a profile. The ID number never changes, and a change of school is a transfer.</summary>
    private static async Task<Results<Ok<TeacherView>, ValidationFailed, NotFoundProblem, RuleProblem>> UpdateProfileAsync(Guid id, TeacherInput input,
        HttpContext http, NpgsqlDataSource db, TeacherStore teachers, TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = TeacherRules.Validate(input, ProvinceCalendar.Today(clock), out var nationalId);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var teacher = await TeacherStore.FindForUpdateAsync(unitOfWork, id, cancellationToken);
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

        var changed = await teachers.UpdateProfileAsync(unitOfWork, teacher, input, cancellationToken);
        var updated = await TeacherStore.FindAsync(unitOfWork, id, cancellationToken);
        if (changed)
        {
            await AuditTrail.RecordAsync(unitOfWork, http, DirectoryAudit.TeacherProfileUpdated, DirectoryAudit.Teacher, teacher.Id.ToString(),
                $"修改教师 {teacher.Name}（{teacher.SchoolName}）的档案：{string.Join("；", DirectoryAudit.ProfileChanges(teacher, updated!))}", cancellationToken);
        }
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(TeacherView.From(updated!));
    }
}

public sealed record IssuePasswordsRequest([property: Required, Description("学校代码")] string? SchoolCode);

/// <summary>The codes every teacher form needs: each stage's subjects, and the development tiers.</summary>
public sealed record SubjectReference(
    [property: Description("学段代码 → 该学段的学科（学科以中文名为代码）")] IReadOnlyDictionary<string, IReadOnlyList<string>> Stages,
    [property: Codes(typeof(Tiers)), Description("发展层级代码，由低到高")] IReadOnlyList<string> Tiers);
