using System.Text.Json;
using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Catalog;

namespace TrainingPlatform.Services.Catalog.RequiredPackages;

public sealed record RequiredPackageRow
{
    public Guid Id { get; init; }
    public Guid ProgramYearId { get; init; }
    public string Stage { get; init; } = "";
    public string Subject { get; init; } = "";
    public string Items { get; init; } = "[]";
    public decimal TotalHours { get; init; }
    public int Version { get; init; }
    public DateTimeOffset DefinedAt { get; init; }

    public IReadOnlyList<RequiredItem> ItemList => JsonSerializer.Deserialize<List<RequiredItem>>(Items, RequiredPackageStore.Json) ?? [];

    public RequiredPackageDefined ToEvent() => new(Id, ProgramYearId, Stage, Subject, ItemList, TotalHours, Version, DefinedAt);
}

/// <summary>Required packages, stored as the very item list their message carries.</summary>
public static class RequiredPackageStore
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string SelectSql = "select id, program_year_id, stage, subject, items::text as items, total_hours, version, defined_at from required_packages";

    /// <summary>The packages of the year <paramref name="year"/> (by code), of one stage when <paramref name="stage"/> is given.</summary>
    public static async Task<IReadOnlyList<RequiredPackageRow>> ListAsync(NpgsqlConnection connection, string year, string? stage,
        CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<RequiredPackageRow>(new CommandDefinition(SelectSql + """
             where program_year_id = (select id from program_years where code = @Year) and (@Stage is null or stage = @Stage)
            order by stage, subject
            """, new { Year = year, Stage = stage }, cancellationToken: cancellationToken))];

    /// <summary>The package that applies to a stage and subject: the subject's own, else the stage's.</summary>
    public static Task<RequiredPackageRow?> FindForAsync(NpgsqlConnection connection, string year, string? stage, string? subject,
        CancellationToken cancellationToken) =>
        connection.QueryFirstOrDefaultAsync<RequiredPackageRow>(new CommandDefinition(
            SelectSql + """
             where program_year_id = (select id from program_years where code = @Year) and stage = @Stage and subject in (@Subject, '')
            order by subject desc limit 1
            """, new { Year = year, Stage = stage ?? "", Subject = subject ?? "" }, cancellationToken: cancellationToken));

    public static async Task<RequiredPackageRow> SaveAsync(UnitOfWork unitOfWork, Guid yearId, string stage, string subject,
        IReadOnlyList<RequiredItem> items, string by, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var row = await unitOfWork.Connection.QuerySingleAsync<RequiredPackageRow>(new CommandDefinition("""
            insert into required_packages (id, program_year_id, stage, subject, items, total_hours, version, defined_by, defined_at)
            values (@Id, @YearId, @Stage, @Subject, @Items::jsonb, @TotalHours, 1, @By, @Now)
            on conflict (program_year_id, stage, subject) do update
            set items = excluded.items, total_hours = excluded.total_hours, version = required_packages.version + 1,
                defined_by = excluded.defined_by, defined_at = excluded.defined_at
            returning id, program_year_id, stage, subject, items::text as items, total_hours, version, defined_at
            """, new
        {
            Id = Guid.CreateVersion7(now), YearId = yearId, Stage = stage, Subject = subject, Items = JsonSerializer.Serialize(items, Json),
            TotalHours = items.Sum(i => i.Hours), By = by, Now = now,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        await unitOfWork.PublishAsync(row.ToEvent(), cancellationToken);
        return row;
    }

    /// <summary>A new course version takes the old one's place in every package that lists it, and the packages are announced again.</summary>
    public static async Task ReplaceCourseAsync(UnitOfWork unitOfWork, Guid oldCourseId, Guid newCourseId, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var packages = await unitOfWork.Connection.QueryAsync<RequiredPackageRow>(new CommandDefinition(
            SelectSql + " where items::text like @Pattern for update",
            new { Pattern = $"%{oldCourseId}%" }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        foreach (var package in packages)
        {
            var replaced = package.ItemList
                .Select(i => i with { CourseIds = [.. i.CourseIds.Select(c => c == oldCourseId ? newCourseId : c)] })
                .ToList();
            // The new version may carry other hours: the package's hours follow it.
            var courses = await Courses.CourseStore.FindAsync(unitOfWork, replaced.SelectMany(i => i.CourseIds), cancellationToken);
            var items = replaced
                .Select(i => i with { Hours = RequiredPackageRules.ItemHours(i.CourseIds, i.DrawCount, courses) ?? i.Hours })
                .ToList();
            await SaveAsync(unitOfWork, package.ProgramYearId, package.Stage, package.Subject, items, "新版本课程替换", now, cancellationToken);
        }
    }
}
