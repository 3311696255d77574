using System.Text.Json;
using Dapper;
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

    public const string SelectSql = "select id, program_year_id, stage, subject, items::text as items, total_hours, version, defined_at from required_packages";

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
