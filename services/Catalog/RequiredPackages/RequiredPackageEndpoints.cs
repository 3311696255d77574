using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Services.Catalog.Courses;
using TrainingPlatform.Services.Catalog.ProgramYears;

namespace TrainingPlatform.Services.Catalog.RequiredPackages;

/// <summary>Required packages (必修): operators define them per stage and subject; everyone signed in reads them.</summary>
public static class RequiredPackageEndpoints
{
    public static IEndpointRouteBuilder MapRequiredPackageEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/catalog/years/{year}/required-packages").WithTags("Required packages");
        group.MapPut("/", DefineAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator));
        group.MapGet("/", ListAsync);
        group.MapGet("/for", ForTeacherAsync);
        return app;
    }

    public sealed record PackageView(Guid Id, string Stage, string Subject, decimal TotalHours, int Version, DateTimeOffset DefinedAt,
        IReadOnlyList<RequiredItem> Items);

    private static async Task<IResult> DefineAsync(string year, PackageRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
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
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(View(saved));
    }

    private static async Task<IResult> ListAsync(string year, string? stage, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<RequiredPackageRow>(new CommandDefinition(RequiredPackageStore.SelectSql + """
             where program_year_id = (select id from program_years where code = @Year) and (@Stage is null or stage = @Stage)
            order by stage, subject
            """, new { Year = year, Stage = stage }, cancellationToken: cancellationToken));
        return TypedResults.Ok(rows.Select(View));
    }

    /// <summary>
    /// The package that applies to a stage and subject (the subject's own, else the stage's), and, for a teacher,
    /// their own draw.
    /// </summary>
    private static async Task<IResult> ForTeacherAsync(string year, string? stage, string? subject, Guid? teacherId, HttpContext http,
        NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var teacher = user.TeacherId ?? teacherId;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<RequiredPackageRow>(new CommandDefinition(
            RequiredPackageStore.SelectSql + """
             where program_year_id = (select id from program_years where code = @Year) and stage = @Stage and subject in (@Subject, '')
            order by subject desc limit 1
            """, new { Year = year, Stage = stage ?? "", Subject = subject ?? "" }, cancellationToken: cancellationToken));
        if (row is null)
        {
            return Problems.NotFound($"年度 {year} 没有适用于 {stage}/{subject} 的必修包");
        }
        var view = View(row);
        return TypedResults.Ok(new
        {
            package = view,
            teacherId = teacher,
            courses = teacher is { } id ? view.Items.SelectMany(i => RequiredDraw.For(i, id)).ToList() : null,
        });
    }

    private static PackageView View(RequiredPackageRow row) =>
        new(row.Id, row.Stage, row.Subject, row.TotalHours, row.Version, row.DefinedAt, row.ItemList);
}
