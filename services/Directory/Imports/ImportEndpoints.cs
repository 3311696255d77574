using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Spreadsheets;
using TrainingPlatform.Services.Directory.Teachers;

namespace TrainingPlatform.Services.Directory.Imports;

public static class ImportEndpoints
{
    /// <summary>50 MB: a million-teacher CSV fits once gzip-compressed; anything larger is refused before it is read.</summary>
    public const long MaxUploadBytes = 50L * 1024 * 1024;

    private const long MultipartEnvelopeBytes = 1024 * 1024;

    private const string XlsxContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    public static IEndpointRouteBuilder MapImportEndpoints(this IEndpointRouteBuilder app)
    {
        var admins = new[] { Roles.PlatformOperator, Roles.DistrictAdmin };
        var group = app.MapGroup("/api/directory").WithTags("Imports");
        // Bearer tokens, not cookies: there is no cross-site form to forge, so no antiforgery token. The form is read
        // by the handler itself (not bound), so an oversized or malformed upload gets the platform's own 413/400.
        group.MapPost("/imports/{kind:regex(^(teachers|schools)$)}", UploadAsync).RequireAuthorization(p => p.RequireRole(admins))
            .DisableAntiforgery()
            .WithMetadata(new RequestSizeLimitAttribute(MaxUploadBytes + MultipartEnvelopeBytes))
            .Accepts<ImportUpload>("multipart/form-data")
            .WithName("QueueImport").WithSummary("上传教师或学校表格，排队导入")
            .WithDescription("以 multipart/form-data 上传，文件字段名为 file：CSV（UTF-8 或 GB18030/GBK 编码）、XLSX，或 gzip 压缩的 CSV（.csv.gz），"
                + $"不超过 {MaxUploadBytes / 1024 / 1024} MB。第一行为中文表头（教师表与导出的表格相同；学校表为 机构代码、名称、类型、上级代码、学段）。"
                + "答 202 与导入任务编号，用 GET /api/directory/imports/{id} 查询进度与逐行错误；导入全部成功或全部不生效。");
        group.MapGet("/imports/{id:guid}", GetJobAsync).RequireAuthorization(p => p.RequireRole(admins))
            .WithName("GetImportJob").WithSummary("查询导入任务的进度与结果")
            .WithDescription("只能查看本人上传的任务（平台运营可看全部）。失败时 errors 逐行列出行号、列与原因（最多 1000 条，errorCount 为总数）。");
        group.MapGet("/teachers/export", ExportTeachersAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator, Roles.DistrictAdmin, Roles.SchoolAdmin))
            .Produces(StatusCodes.Status200OK, typeof(Stream), XlsxContentType)
            .WithName("ExportTeachers").WithSummary("导出辖区内的教师（XLSX）")
            .WithDescription("表头与教师导入相同。身份证号默认脱敏（如 3716**********0028）；需要修改后再导入时，以 fullNationalIds=true 导出完整号码，"
                + "此类导出记入审计记录（teachers-exported-with-national-ids）。");
        return app;
    }

    /// <summary>Queues a teachers or schools sheet for import; the answer is the job to poll.</summary>
    private static async Task<Results<Accepted<ImportJobQueued>, ValidationFailed, TooLargeProblem>> UploadAsync(
        [Codes(typeof(ImportKinds)), Description("导入什么：teachers（教师）或 schools（学校与乡镇）")] string kind,
        HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        // Checked before the body is read: an oversized upload costs nothing and changes nothing.
        if (http.Request.ContentLength > MaxUploadBytes + MultipartEnvelopeBytes)
        {
            return TooLarge();
        }
        if (!http.Request.HasFormContentType)
        {
            return new Validation().Require(false, "file", "请以 multipart/form-data 上传文件，字段名为 file").ToProblem();
        }
        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(cancellationToken);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            // A multipart body cut short or without its parts: the client's, not the server's, fault.
            return new Validation().Require(false, "file", "上传内容不完整或格式不正确，请以 multipart/form-data 重新上传文件，字段名为 file", "unreadable-form").ToProblem();
        }
        var file = form.Files.GetFile("file");
        if (file is null || file.Length == 0)
        {
            return new Validation().Require(false, "file", "请上传表格文件（CSV、XLSX，或其 gzip 压缩文件）").ToProblem();
        }
        if (file.Length > MaxUploadBytes)
        {
            return TooLarge();
        }

        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, cancellationToken);
        var headers = kind == ImportKinds.Schools ? SchoolImport.Headers : TeacherSheet.ExportHeaders;
        if (SpreadsheetFile.Probe(buffer.ToArray(), headers) is { } notASheet)
        {
            return new Validation().Require(false, "file", notASheet).ToProblem();
        }
        var id = Guid.CreateVersion7();
        var fileName = Path.GetFileName(file.FileName);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        await ImportStore.QueueAsync(unitOfWork, id, kind, fileName, buffer.ToArray(), PlatformUser.From(http.User), AuditActor.From(http),
            cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, DirectoryAudit.ImportStarted, DirectoryAudit.ImportJob, id.ToString(),
            $"上传{ImportKinds.Names[kind]}表格「{fileName}」（{file.Length:N0} 字节），排队导入", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Accepted($"/api/directory/imports/{id}", new ImportJobQueued(id, ImportJobStatuses.Queued));
    }

    private static TooLargeProblem TooLarge() =>
        Problems.TooLarge($"上传文件不能超过 {MaxUploadBytes / 1024 / 1024} MB；大文件请先用 gzip 压缩（.csv.gz）。", "file");

    private static async Task<Results<Ok<ImportJobView>, NotFoundProblem>> GetJobAsync(Guid id, HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var job = await ImportStore.FindAsync(db, id, cancellationToken);
        return job is null || (!user.IsOperator && job.RequestedBy != user.AccountId)
            ? Problems.NotFound($"导入任务 {id} 不存在")
            : TypedResults.Ok(job);
    }

    private static async Task<Results<FileContentHttpResult, NotFoundProblem>> ExportTeachersAsync(
        [Description("只导出这所学校的教师（学校代码）；不填为辖区内全部")] string? schoolCode,
        [Description("导出完整身份证号（默认脱敏）；导出的表格可修改后再导入。每次此类导出都记入审计记录")] bool? fullNationalIds,
        HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (await TeacherEndpoints.ListedSchoolProblemAsync(connection, schoolCode, PlatformUser.From(http.User), cancellationToken) is { } problem)
        {
            return problem;
        }
        var teachers = (await TeacherStore.ListInScopeAsync(connection, PlatformUser.From(http.User), schoolCode, int.MaxValue, 0, cancellationToken)).ToList();
        var full = fullNationalIds == true;
        if (full)
        {
            // Recorded before the sheet leaves: a bulk copy of ID numbers is the read the trail most needs to show.
            var user = PlatformUser.From(http.User);
            await AuditTrail.RecordAloneAsync(db, http, NationalIdEndpoints.ExportAction, schoolCode is null ? "organisation" : "school",
                schoolCode ?? (user.IsOperator ? "province" : user.OrganisationPath),
                $"导出 {teachers.Count} 名教师的完整身份证号（{(schoolCode is null ? "辖区内全部" : $"学校 {schoolCode}")}）", cancellationToken);
        }
        var workbook = XlsxSheet.Write("教师", TeacherSheet.ExportHeaders, teachers.Select(t => TeacherSheet.ExportRow(t, full)));
        return TypedResults.File(workbook, XlsxContentType, $"teachers-{(schoolCode ?? "all")}.xlsx");
    }
}

/// <summary>What an import upload carries (multipart/form-data); documentation of the form the handler reads itself.</summary>
public sealed record ImportUpload(
    [property: Description("表格文件：CSV（UTF-8 或 GB18030/GBK 编码）、XLSX，或 gzip 压缩的 CSV（.csv.gz），不超过 50 MB")] IFormFile File);

/// <summary>The kinds of sheet an import takes (the upload's path says which).</summary>
public static class ImportKinds
{
    public const string Teachers = "teachers";
    public const string Schools = "schools";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Teachers] = "教师", [Schools] = "学校与乡镇",
    };
}

/// <summary>Where an import job is (the database's check constraint lists the same four).</summary>
public static class ImportJobStatuses
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Queued] = "排队中", [Running] = "导入中", [Succeeded] = "已完成", [Failed] = "失败（未导入任何行）",
    };
}

/// <summary>An upload accepted and queued: poll the job at the Location.</summary>
public sealed record ImportJobQueued(
    [property: Description("导入任务编号")] Guid Id,
    [property: Codes(typeof(ImportJobStatuses))] string Status);

public sealed class ImportJobView
{
    public Guid Id { get; init; }
    public string FileName { get; init; } = "";
    [Codes(typeof(ImportJobStatuses))]
    public string Status { get; init; } = "";
    [Description("文件中的数据行数（读完文件后才知道）")]
    public int? TotalRows { get; init; }
    public int RowsDone { get; init; }
    public int Created { get; init; }
    public int Updated { get; init; }
    public int Unchanged { get; init; }
    [System.Text.Json.Serialization.JsonIgnore]
    public string ErrorsJson { get; init; } = "[]";
    [Description("逐行错误：行号、列（表头）与原因；最多列出 1000 条")]
    public IReadOnlyList<RowError> Errors => ImportStore.ReadErrors(ErrorsJson);
    [Description("错误总数")]
    public int ErrorCount { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    [System.Text.Json.Serialization.JsonIgnore]
    public Guid RequestedBy { get; init; }
}
