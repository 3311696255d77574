using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.Services.Directory.Teachers;

/// <summary>
/// The full ID number of a teacher, for the administrators who need it (the employing school, a district above it,
/// the operator) and only on an explicit request that leaves a record in the audit trail. Everything else shows the
/// masked number (<see cref="TeacherView"/>).
/// </summary>
public static class NationalIdEndpoints
{
    public const string ReadAction = "national-id-read";
    public const string ExportAction = "teachers-exported-with-national-ids";

    /// <summary>The roles whose work needs a teacher's full number (registration, transfer, the bureau's own records).</summary>
    public static readonly string[] Readers = [Roles.PlatformOperator, Roles.DistrictAdmin, Roles.SchoolAdmin];

    public static IEndpointRouteBuilder MapNationalIdEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/directory/teachers/{id:guid}/national-id", ReadAsync).WithTags("Teachers")
            .RequireAuthorization(p => p.RequireRole(Readers))
            .WithName("GetTeacherNationalId").WithSummary("查看教师完整身份证号（记入审计）")
            .WithDescription("仅教师任职学校、其上级区县/市和平台运营可查看；每次查看都在答复前记入审计记录（national-id-read）。"
                + "教师不存在答 404，不在管理范围内答 403。列表、档案与普通导出只显示脱敏号码。");
        return app;
    }

    private static async Task<Results<Ok<NationalIdView>, NotFoundProblem, ForbiddenProblem>> ReadAsync(Guid id, HttpContext http,
        NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var teacher = await TeacherStore.FindAsync(unitOfWork, id, cancellationToken);
        if (teacher is null)
        {
            return Problems.NotFound($"教师 {id} 不存在");
        }
        if (!PlatformUser.From(http.User).CanSeeTeacher(teacher.Id, teacher.SchoolPath))
        {
            return Problems.Forbidden($"教师 {teacher.Name} 不在你的管理范围内，不能查看其完整身份证号。");
        }
        // Recorded before the number leaves, in this short transaction: no answer goes out without its record.
        await AuditTrail.RecordAsync(unitOfWork, http, ReadAction, "teacher", teacher.Id.ToString(),
            $"查看教师 {teacher.Name}（{teacher.SchoolName}）的完整身份证号", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(new NationalIdView(teacher.Id, teacher.NationalId));
    }
}

/// <summary>A teacher's full ID number, as read on an audited request.</summary>
public sealed record NationalIdView(Guid TeacherId, [property: System.ComponentModel.Description("完整身份证号")] string NationalId);
