using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Catalog.Courses;

namespace TrainingPlatform.Services.Catalog.RequiredPackages;

[Description("一个学段（及学科）的必修课程包，整体替换")]
public sealed record PackageRequest(
    [property: Required, Codes(typeof(StageNames)), Description("学段")] string? Stage,
    [property: Codes(typeof(Subjects)), Description("学科，须属于该学段；留空表示该学段所有没有单独必修包的学科")] string? Subject,
    [property: Required, Length(1, RequiredPackageRules.MaxItems), Description("必修条目")] IReadOnlyList<ItemRequest>? Items);

/// <summary>An item: its courses, and how many of them each teacher gets (all when <see cref="DrawCount"/> is left out).</summary>
[Description("必修包中的一项：课程池，以及每位教师推送其中几门")]
public sealed record ItemRequest(
    [property: Required, MaxLength(RequiredPackageRules.MaxTitleLength), Description("条目名称")] string? Title,
    [property: Required, MinLength(1), Description("课程池：须已发布并适用于该学段；随机推送时各课程学时须相同")] IReadOnlyList<Guid>? CourseIds,
    [property: Range(1, int.MaxValue), Description("每位教师随机推送的门数，1 到课程池大小；不填表示全部课程")] int? DrawCount);

/// <summary>What a required package must be, and the hours it is worth.</summary>
public static class RequiredPackageRules
{
    public const int MaxItems = 20;
    public const int MaxTitleLength = 100;

    /// <summary>The fields checked before any course is looked up.</summary>
    public static Validation ValidateShape(PackageRequest request)
    {
        var validation = new Validation()
            .Require(request.Stage is not null && StageNames.Names.ContainsKey(request.Stage), "stage", "学段必填，且必须是已知学段")
            .Require(string.IsNullOrEmpty(request.Subject) || Subjects.IsValid(request.Stage, request.Subject), "subject",
                "学科必须属于该学段；留空表示该学段所有没有单独必修包的学科")
            .Require((request.Items ?? []).Count is > 0 and <= MaxItems, "items", $"必修包需要 1–{MaxItems} 项");
        foreach (var (item, at) in validation.Elements(request.Items, "items"))
        {
            var count = item.CourseIds?.Count ?? 0;
            validation.Require(!string.IsNullOrWhiteSpace(item.Title) && item.Title.Length <= MaxTitleLength, $"{at}.title", $"每项需要名称，不超过 {MaxTitleLength} 字");
            validation.Require(count > 0, $"{at}.courseIds", "每项至少一门课程");
            validation.Require(item.DrawCount is null || (item.DrawCount >= 1 && item.DrawCount <= count), $"{at}.drawCount",
                $"随机推送门数必须在 1 到 {count}（课程池大小）之间");
        }
        return validation;
    }

    /// <summary>
    /// The package's items with their hours, given the courses they name (already checked to be usable). When each
    /// teacher gets a draw, every course of the pool must have the same hours, or teachers would earn different hours
    /// for the same requirement.
    /// </summary>
    public static IReadOnlyList<RequiredItem> Build(Guid yearId, PackageRequest request, IReadOnlyDictionary<Guid, CourseRow> courses, Validation validation)
    {
        var items = new List<RequiredItem>();
        var list = request.Items ?? [];
        for (var i = 0; i < list.Count; i++)
        {
            var ids = list[i].CourseIds ?? [];
            var draw = list[i].DrawCount ?? ids.Count;
            var hours = ItemHours(ids, draw, courses);
            if (hours is null)
            {
                validation.Add($"items[{i}].courseIds", "随机推送的课程池中各课程学时必须相同，才能保证每位教师学时一致");
                continue;
            }
            items.Add(new RequiredItem(ItemId(yearId, request.Stage!, request.Subject ?? "", i), list[i].Title!.Trim(), hours.Value, [.. ids], draw));
        }
        return items;
    }

    /// <summary>The hours a teacher earns from an item, or null for a draw over courses of unequal hours.</summary>
    public static decimal? ItemHours(IReadOnlyList<Guid> courseIds, int drawCount, IReadOnlyDictionary<Guid, CourseRow> courses)
    {
        var hours = courseIds.Where(courses.ContainsKey).Select(id => courses[id].Hours).ToList();
        if (drawCount >= courseIds.Count)
        {
            return hours.Sum();
        }
        return hours.Distinct().Count() == 1 ? hours[0] * drawCount : null;
    }

    /// <summary>
    /// An item's id depends only on its place in its package, so redefining a package (a typo fixed, a course added
    /// to a pool) keeps each teacher's draw as stable as it can be.
    /// </summary>
    public static Guid ItemId(Guid yearId, string stage, string subject, int position)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{yearId:N}/{stage}/{subject}/{position}"));
        return new Guid(hash.AsSpan(0, 16));
    }
}
