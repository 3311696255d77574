using System.Security.Cryptography;
using System.Text;

namespace TrainingPlatform.Contracts.Catalog;

/// <summary>
/// One line of a required package: its courses, of which every teacher gets <see cref="DrawCount"/>. When
/// <see cref="DrawCount"/> equals the number of courses, all are pushed; when it is smaller, each teacher gets their
/// own reproducible draw (<see cref="RequiredDraw"/>), e.g. 4 lesson cases from a pool of city cases.
/// </summary>
public sealed record RequiredItem(Guid ItemId, string Title, decimal Hours, IReadOnlyList<Guid> CourseIds, int DrawCount);

/// <summary>
/// The required courses (必修) of a program year for a stage and a subject, as of <see cref="Version"/>. An empty
/// <see cref="Subject"/> applies to every subject of the stage that has no package of its own.
/// </summary>
public sealed record RequiredPackageDefined(
    Guid PackageId,
    Guid ProgramYearId,
    string Stage,
    string Subject,
    IReadOnlyList<RequiredItem> Items,
    decimal TotalHours,
    int Version,
    DateTimeOffset DefinedAt);

/// <summary>
/// The reproducible random draw of a required item for one teacher: the same teacher always gets the same courses,
/// different teachers get different ones, and nothing is stored. Every service that needs a teacher's draw
/// computes it here, so they agree.
/// </summary>
public static class RequiredDraw
{
    public static IReadOnlyList<Guid> For(RequiredItem item, Guid teacherId)
    {
        if (item.DrawCount >= item.CourseIds.Count)
        {
            return item.CourseIds;
        }
        return [.. item.CourseIds
            .OrderBy(course => Key(item.ItemId, teacherId, course), StringComparer.Ordinal)
            .Take(item.DrawCount)];
    }

    // A hash, not System.Random: its sequence is not promised to stay the same across .NET versions.
    private static string Key(Guid item, Guid teacher, Guid course) =>
        Convert.ToHexString(SHA256.HashData(Encoding.ASCII.GetBytes($"{item:N}/{teacher:N}/{course:N}")));
}
