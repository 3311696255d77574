using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Services.Directory.Teachers;

namespace TrainingPlatform.Services.Directory.Imports;

public static class ImportEndpoints
{
    private const long MaxUploadBytes = 20 * 1024 * 1024;

    public static IEndpointRouteBuilder MapImportEndpoints(this IEndpointRouteBuilder app)
    {
        var admins = new[] { Roles.PlatformOperator, Roles.DistrictAdmin };
        var group = app.MapGroup("/api/directory").WithTags("Imports");
        // Bearer tokens, not cookies: there is no cross-site form to forge, so no antiforgery token.
        group.MapPost("/imports/teachers", UploadTeachersAsync).RequireAuthorization(p => p.RequireRole(admins)).DisableAntiforgery();
        group.MapGet("/imports/{id:guid}", GetJobAsync).RequireAuthorization(p => p.RequireRole(admins));
        group.MapGet("/teachers/export", ExportTeachersAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator, Roles.DistrictAdmin, Roles.SchoolAdmin));
        return app;
    }

    private const string InsertJobSql = """
        insert into import_jobs (id, kind, file_name, content, status, requested_by, requester_role, requester_scope)
        values (@Id, 'teachers', @FileName, @Content, 'queued', @RequestedBy, @Role, @Scope)
        """;

    private static async Task<IResult> UploadTeachersAsync(IFormFile? file, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        if (file is null || file.Length == 0)
        {
            return new Validation().Require(false, "file", "请上传教师信息表（CSV 或 XLSX）").ToProblem();
        }
        if (file.Length > MaxUploadBytes)
        {
            return new Validation().Require(false, "file", $"文件不能超过 {MaxUploadBytes / 1024 / 1024} MB").ToProblem();
        }

        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, cancellationToken);
        var user = PlatformUser.From(http.User);
        var id = Guid.CreateVersion7();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(InsertJobSql, new
        {
            Id = id,
            FileName = Path.GetFileName(file.FileName),
            Content = buffer.ToArray(),
            RequestedBy = user.AccountId,
            Role = user.Role,
            Scope = user.OrganisationPath,
        }, cancellationToken: cancellationToken));
        return TypedResults.Accepted($"/api/directory/imports/{id}", new { id, status = "queued" });
    }

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
        var user = PlatformUser.From(http.User);
        var scope = user.IsOperator ? "" : user.OrganisationPath;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var teachers = await connection.QueryAsync<TeacherRow>(new CommandDefinition($"""
            {TeacherStore.SelectSql}
            where (@Scope = '' or s.path = @Scope or s.path like @ScopePrefix)
              and (@SchoolCode is null or s.code = @SchoolCode)
            order by s.path, t.name, t.id
            """, new { Scope = scope, ScopePrefix = scope + "/%", SchoolCode = schoolCode }, cancellationToken: cancellationToken));
        var workbook = Xlsx.Write("教师", TeacherSheet.ExportHeaders, teachers.Select(TeacherSheet.ExportRow));
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
