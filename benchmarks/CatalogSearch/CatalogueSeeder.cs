using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Services.Catalog.Courses;
using TrainingPlatform.Services.Catalog.ProgramYears;
using TrainingPlatform.Services.Catalog.Topics;

namespace TrainingPlatform.Benchmarks.CatalogSearch;

/// <summary>
/// Writes the generated catalogue through the Catalog's own stores (draft, then publish; so the search column is
/// exactly what the service writes), in transactions of <see cref="BatchSize"/> courses, then a program year with
/// one topic per theme.
/// </summary>
internal static class CatalogueSeeder
{
    private const int BatchSize = 500;
    private const int CoursesPerTopic = 300;
    private const string By = "benchmark";

    public static async Task<IReadOnlyList<Guid>> SeedAsync(NpgsqlDataSource db, int count, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var byTheme = GeneratedCatalogue.Themes.Select(_ => new List<Guid>()).ToArray();
        foreach (var batch in GeneratedCatalogue.Generate(count, today).Chunk(BatchSize))
        {
            await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
            foreach (var course in batch)
            {
                var validation = CourseRules.Validate(course.Request);
                if (!validation.IsValid)
                {
                    throw new InvalidOperationException($"generated course {course.Request.Code} is invalid: " +
                                                        string.Join("; ", validation.Errors.Select(e => $"{e.Field}: {e.Rule}")));
                }
                var draft = await CourseStore.InsertDraftAsync(unitOfWork, course.Request, 1, Guid.CreateVersion7(now), null, By, now, cancellationToken)
                            ?? throw new InvalidOperationException($"course {course.Request.Code} exists already");
                await CourseStore.PublishAsync(unitOfWork, draft, now, cancellationToken);
                if (byTheme[course.Theme].Count < CoursesPerTopic)
                {
                    byTheme[course.Theme].Add(draft.Id);
                }
            }
            await unitOfWork.CommitAsync(cancellationToken);
        }

        await using (var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken))
        {
            var yearRequest = new ProgramYearRequest(today.Year.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{today.Year}年基准工程", 36, 14,
                new WindowsRequest(today.AddDays(10), today.AddDays(-3), today.AddDays(5), today.AddDays(-2), today.AddDays(14), today.AddDays(100),
                    today.AddDays(140)));
            ProgramYearRules.Validate(yearRequest, out var windows);
            var year = (await ProgramYearStore.CreateAsync(unitOfWork, yearRequest, windows!, now, cancellationToken))!;
            for (var t = 0; t < GeneratedCatalogue.Themes.Count; t++)
            {
                var theme = GeneratedCatalogue.Themes[t];
                await TopicStore.SaveAsync(unitOfWork, year.Id, $"T{t + 1:00}", theme.Name, $"{theme.Name}专题", theme.OnlyStages ?? [Stages.Primary, Stages.Junior, Stages.Senior],
                    byTheme[t], now, cancellationToken);
            }
            await unitOfWork.CommitAsync(cancellationToken);
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("vacuum analyze", cancellationToken: cancellationToken));
        return [.. await connection.QueryAsync<Guid>(new CommandDefinition("select id from topics order by code", cancellationToken: cancellationToken))];
    }
}
