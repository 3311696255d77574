using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Catalog.Courses;
using TrainingPlatform.Services.Catalog.ProgramYears;

namespace TrainingPlatform.Services.Catalog.RequiredPackages;

/// <summary>Required packages (必修): operators define them per stage and subject; everyone signed in reads them.</summary>
public static class RequiredPackageEndpoints
{
    public static IEndpointRouteBuilder MapRequiredPackageEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/catalog/years/{year}/required-packages").WithTags("Required packages");
        group.MapPut("/", DefineAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator))
            .WithName("DefineRequiredPackage").WithSummary("定义必修课程包")
            .WithDescription("按学段和学科创建或整体替换必修包，版本号加一并通知其他服务。条目编号只取决于其位置，重新定义后每位教师的随机推送尽量保持不变。");
        group.MapGet("/", ListAsync).WithName("ListRequiredPackages").WithSummary("年度的必修课程包列表").WithDescription("按学段、学科排序；可按学段筛选。");
        group.MapGet("/for", ForTeacherAsync).WithName("GetRequiredPackageFor").WithSummary("查看适用于某学段学科的必修包")
            .WithDescription("先找该学科的必修包，没有则用该学段的通用包。教师调用时还返回本人随机推送到的课程（固定可复现）；其他角色可用 teacherId 查看某位教师的推送。");
        return app;
    }

    [Description("一个必修课程包")]
    public sealed record PackageView(
        Guid Id,
        [property: Codes(typeof(StageNames))] string Stage,
        [property: Description("学科；空表示该学段的通用包")] string Subject,
        [property: Description("教师完成全部条目所得学时")] decimal TotalHours,
        int Version,
        DateTimeOffset DefinedAt,
        IReadOnlyList<RequiredItem> Items);

    [Description("适用的必修包，及某位教师随机推送到的课程")]
    public sealed record PackageForTeacher(
        PackageView Package,
        [property: Description("教师 id：教师调用时为本人")] Guid? TeacherId,
        [property: Description("该教师要学的课程 id；没有教师时为 null")] IReadOnlyList<Guid>? Courses);

    private static async Task<Results<Ok<PackageView>, ValidationFailed, NotFoundProblem>> DefineAsync(string year, PackageRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var validation = RequiredPackageRules.ValidateShape(request);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var programYear = await ProgramYearStore.FindAsync(unitOfWork.Connection, year, unitOfWork.Transaction, cancellationToken);
        if (programYear is null)
        {
            return Problems.NotFound($"年度 {year} 不存在");
        }
        var items = request.Items!;
        var courses = await CourseStore.FindAsync(unitOfWork, items.SelectMany(i => i.CourseIds!), cancellationToken);
        for (var i = 0; i < items.Count; i++)
        {
            CourseStore.CheckUsable(items[i].CourseIds!, courses, [request.Stage!], $"items[{i}].courseIds", validation);
        }
        var built = validation.IsValid ? RequiredPackageRules.Build(programYear.Id, request, courses, validation) : [];
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var saved = await RequiredPackageStore.SaveAsync(unitOfWork, programYear.Id, request.Stage!, request.Subject ?? "", built,
            CourseEndpoints.By(http), clock.GetUtcNow(), cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "required-package-defined", "required-package",
            $"{year}/{request.Stage}/{request.Subject ?? ""}",
            $"设定 {year} 年度必修包：学段 {request.Stage}{(string.IsNullOrEmpty(request.Subject) ? "（通用）" : $"、学科 {request.Subject}")}，共 {items.Count} 项", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(View(saved));
    }

    private static async Task<Results<Ok<IReadOnlyList<PackageView>>, ValidationFailed>> ListAsync(string year,
        [Codes(typeof(StageNames)), Description("只看该学段的必修包")] string? stage, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        // The document lists the stages: an unknown one is a mistake to say, not a filter that matches nothing.
        if (new Validation().RequireKnownCode(stage, StageNames.Names, "stage", "学段") is { IsValid: false } refused)
        {
            return refused.ToProblem();
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await RequiredPackageStore.ListAsync(connection, year, stage, cancellationToken);
        return TypedResults.Ok<IReadOnlyList<PackageView>>([.. rows.Select(View)]);
    }

    /// <summary>
    /// The package that applies to a stage and subject (the subject's own, else the stage's), and, for a teacher,
    /// their own draw.
    /// </summary>
    private static async Task<Results<Ok<PackageForTeacher>, NotFoundProblem>> ForTeacherAsync(string year,
        [Codes(typeof(StageNames)), Description("学段")] string? stage,
        [Codes(typeof(Subjects)), Description("学科")] string? subject,
        [Description("教师 id：查看该教师随机推送到的课程；教师调用时忽略，总是本人")] Guid? teacherId, HttpContext http,
        NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var teacher = user.TeacherId ?? teacherId;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var row = await RequiredPackageStore.FindForAsync(connection, year, stage, subject, cancellationToken);
        if (row is null)
        {
            return Problems.NotFound($"年度 {year} 没有适用于 {stage}/{subject} 的必修包");
        }
        var view = View(row);
        return TypedResults.Ok(new PackageForTeacher(view, teacher,
            teacher is { } id ? [.. view.Items.SelectMany(i => RequiredDraw.For(i, id))] : null));
    }

    private static PackageView View(RequiredPackageRow row) =>
        new(row.Id, row.Stage, row.Subject, row.TotalHours, row.Version, row.DefinedAt, row.ItemList);
}
