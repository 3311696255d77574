using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Enrollment;
using TrainingPlatform.Services.Enrollment.Electives;

namespace TrainingPlatform.Services.Enrollment.OptOuts;

public sealed record RecordOptOut(Guid? TeacherId, string? StatementReference, string? Reason);

/// <summary>
/// A school records a teacher's opt-out (seed 004, school 2: 不参加的教师须填写保证书交教科室留存), with the signed
/// statement's reference. It is announced, shown in reports, and counts against the teacher's year.
/// </summary>
public static class OptOutEndpoints
{
    public static IEndpointRouteBuilder MapOptOutEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/enrollment/years/{year}/opt-outs").WithTags("Opt-outs");
        group.MapPost("/", RecordAsync).RequireAuthorization(p => p.RequireRole(Roles.SchoolAdmin));
        group.MapGet("/", ListAsync).RequireAuthorization(p => p.RequireRole(Roles.SchoolAdmin, Roles.DistrictAdmin, Roles.PlatformOperator));
        return app;
    }

    private static async Task<IResult> RecordAsync(string year, RecordOptOut request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Require(request.TeacherId is not null, "teacherId", "教师必填")
            .Require(!string.IsNullOrWhiteSpace(request.StatementReference) && request.StatementReference.Length <= 100, "statementReference",
                "保证书编号必填（纸质保证书的存档编号），不超过 100 字")
            .Require((request.Reason ?? "").Length <= 500, "reason", "原因不超过 500 字");
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
        var inserted = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into opt_outs (teacher_id, program_year_id, statement_reference, reason, recorded_by, recorded_at)
            values (@TeacherId, @YearId, @StatementReference, @Reason, @By, @Now)
            on conflict do nothing
            """, new { TeacherId = teacher.Id, YearId = programYear.Id, StatementReference = request.StatementReference!.Trim(), Reason = request.Reason ?? "",
            By = by, Now = now }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            return Problems.Conflict($"{teacher.Name} 的 {year} 年度不参训已登记", "opt-out-recorded");
        }
        await unitOfWork.PublishAsync(new TeacherOptedOut(teacher.Id, programYear.Id, programYear.Code, request.StatementReference.Trim(),
            request.Reason ?? "", by, now), cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/enrollment/years/{year}/opt-outs",
            new { teacherId = teacher.Id, teacher.Name, statementReference = request.StatementReference.Trim(), recordedAt = now });
    }

    private static async Task<IResult> ListAsync(string year, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var parameters = new DynamicParameters(user.ScopeParameters);
        parameters.Add("Year", year);
        var rows = await connection.QueryAsync<OptOutView>(new CommandDefinition($"""
            select t.id as teacher_id, t.name, t.school_path, o.statement_reference, o.reason, o.recorded_by, o.recorded_at
            from opt_outs o join teachers t on t.id = o.teacher_id join program_years y on y.id = o.program_year_id
            where y.code = @Year and {PlatformUser.ScopeSql("t.school_path")}
            order by t.school_path, t.name
            """, parameters, cancellationToken: cancellationToken));
        return TypedResults.Ok(rows);
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
