using TrainingPlatform.BuildingBlocks.Spreadsheets;
using Dapper;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Services.Directory.Teachers;

namespace TrainingPlatform.Services.Directory.Imports;

public static class ImportEndpoints
{
    /// <summary>50 MB: a million-teacher CSV fits once gzip-compressed; anything larger is refused before it is read.</summary>
    public const long MaxUploadBytes = 50L * 1024 * 1024;

    public static IEndpointRouteBuilder MapImportEndpoints(this IEndpointRouteBuilder app)
    {
        var admins = new[] { Roles.PlatformOperator, Roles.DistrictAdmin };
        var group = app.MapGroup("/api/directory").WithTags("Imports");
        // Bearer tokens, not cookies: there is no cross-site form to forge, so no antiforgery token.
        group.MapPost("/imports/{kind:regex(^(teachers|schools)$)}", UploadAsync).RequireAuthorization(p => p.RequireRole(admins))
            .DisableAntiforgery()
            .WithMetadata(new RequestSizeLimitAttribute(MaxUploadBytes + 1024 * 1024)); // room for the multipart envelope
        group.MapGet("/imports/{id:guid}", GetJobAsync).RequireAuthorization(p => p.RequireRole(admins));
        group.MapGet("/teachers/export", ExportTeachersAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator, Roles.DistrictAdmin, Roles.SchoolAdmin));
        return app;
    }

    private const string InsertJobSql = """
        insert into import_jobs (id, kind, file_name, content, status, requested_by, requester_role, requester_scope)
        values (@Id, @Kind, @FileName, @Content, 'queued', @RequestedBy, @Role, @Scope)
        """;

    /// <summary>Queues a teachers or schools sheet for import; the answer is the job to poll.</summary>
    private static async Task<IResult> UploadAsync(string kind, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        // Checked before the body is read: an oversized upload costs nothing and changes nothing.
        if (http.Request.ContentLength > MaxUploadBytes + 1024 * 1024)
        {
            return TooLarge();
        }
        if (!http.Request.HasFormContentType)
        {
            return new Validation().Require(false, "file", "请以 multipart/form-data 上传文件，字段名为 file").ToProblem();
        }
        var form = await http.Request.ReadFormAsync(cancellationToken);
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
        var headers = kind == "schools" ? SchoolImport.Headers : TeacherSheet.ExportHeaders;
        if (SpreadsheetFile.Probe(buffer.ToArray(), headers) is { } notASheet)
        {
            return new Validation().Require(false, "file", notASheet).ToProblem();
        }
        var user = PlatformUser.From(http.User);
        var id = Guid.CreateVersion7();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(InsertJobSql, new
        {
            Id = id,
            Kind = kind,
            FileName = Path.GetFileName(file.FileName),
            Content = buffer.ToArray(),
            RequestedBy = user.AccountId,
            Role = user.Role,
            Scope = user.OrganisationPath,
        }, cancellationToken: cancellationToken));
        return TypedResults.Accepted($"/api/directory/imports/{id}", new { id, status = "queued" });
    }

    private static IResult TooLarge() => TypedResults.Problem(
        statusCode: StatusCodes.Status413PayloadTooLarge, title: "文件过大 (upload too large)",
        detail: $"上传文件不能超过 {MaxUploadBytes / 1024 / 1024} MB；大文件请先用 gzip 压缩（.csv.gz）。",
        extensions: new Dictionary<string, object?> { ["field"] = "file" });

    private static async Task<IResult> GetJobAsync(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var job = await connection.QuerySingleOrDefaultAsync<ImportJobView>(new CommandDefinition("""
            select id, file_name, status, total_rows, rows_done, created_count as created, updated_count as updated,
                   unchanged_count as unchanged, errors::text as errors_json, error_count, created_at, finished_at, requested_by
            from import_jobs where id = @Id
            """, new { Id = id }, cancellationToken: cancellationToken));
        return job is null || (!user.IsOperator && job.RequestedBy != user.AccountId)
            ? Problems.NotFound($"导入任务 {id} 不存在")
            : TypedResults.Ok(job);
    }

    private static async Task<IResult> ExportTeachersAsync(string? schoolCode, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (await TeacherEndpoints.ListedSchoolProblemAsync(connection, schoolCode, PlatformUser.From(http.User), cancellationToken) is { } problem)
        {
            return problem;
        }
        var teachers = await TeacherStore.ListInScopeAsync(connection, PlatformUser.From(http.User), schoolCode, int.MaxValue, 0, cancellationToken);
        var workbook = XlsxSheet.Write("教师", TeacherSheet.ExportHeaders, teachers.Select(TeacherSheet.ExportRow));
        return TypedResults.File(workbook, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            $"teachers-{(schoolCode ?? "all")}.xlsx");
    }
}

public sealed class ImportJobView
{
    public Guid Id { get; init; }
    public string FileName { get; init; } = "";
    public string Status { get; init; } = "";
    public int? TotalRows { get; init; }
    public int RowsDone { get; init; }
    public int Created { get; init; }
    public int Updated { get; init; }
    public int Unchanged { get; init; }
    [System.Text.Json.Serialization.JsonIgnore]
    public string ErrorsJson { get; init; } = "[]";
    public System.Text.Json.JsonElement Errors => System.Text.Json.JsonDocument.Parse(ErrorsJson).RootElement.Clone();
    public int ErrorCount { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    [System.Text.Json.Serialization.JsonIgnore]
    public Guid RequestedBy { get; init; }
}
