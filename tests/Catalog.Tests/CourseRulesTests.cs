using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Services.Catalog.Courses;
using TrainingPlatform.Services.Catalog.RequiredPackages;
using Xunit;

namespace TrainingPlatform.Catalog.Tests;

public sealed class CourseRulesTests
{
    internal static CourseRequest Valid => new("C-001", "班级管理的理念与方法", "简介", 4, "class_teacher", "online", "provincial",
        [Stages.Primary, Stages.Junior], ["语文"], []);

    [Fact]
    public void A_complete_course_is_valid()
    {
        var validation = CourseRules.Validate(Valid);
        Assert.True(validation.IsValid, string.Join("; ", validation.Errors));
    }

    [Fact]
    public void Unknown_values_and_inexact_hours_are_named()
    {
        var validation = CourseRules.Validate(Valid with { Hours = 2.25m, Category = "fun", Stages = ["college"], Subjects = ["物理"] });
        var fields = validation.Errors.Select(e => e.Field).ToHashSet();
        Assert.Equal(new HashSet<string> { "hours", "category", "stages", "subjects" }, fields);
    }

    [Fact]
    public void Sessions_belong_to_concentrated_courses_and_need_place_dates_and_capacity()
    {
        Assert.Contains(CourseRules.Validate(Valid with { Sessions = [new("滨州", new(2026, 8, 23), new(2026, 8, 26), 60)] }).Errors,
            e => e.Field == "sessions");
        var concentrated = Valid with { Mode = "concentrated", Sessions = [new("", new(2026, 8, 26), new(2026, 8, 23), 0)] };
        var fields = CourseRules.Validate(concentrated).Errors.Select(e => e.Field).ToHashSet();
        Assert.Superset(new HashSet<string> { "sessions[0].place", "sessions[0].endsOn", "sessions[0].capacity" }, fields);
        Assert.NotNull(CourseRules.PublishProblem("concentrated", 0));
        Assert.Null(CourseRules.PublishProblem("online", 0));
    }
}

public sealed class CjkTokensTests
{
    [Fact]
    public void Chinese_is_indexed_as_characters_and_pairs_and_latin_as_lower_case_words()
    {
        var terms = CjkTokens.ForIndex("班级管理 PPT制作");
        Assert.Superset(new HashSet<string> { "班", "级", "管", "理", "班级", "级管", "管理", "ppt", "制作" }, terms.ToHashSet());
        Assert.DoesNotContain("理p", terms);
    }

    [Fact]
    public void A_query_needs_every_pair_and_latin_words_match_as_prefixes()
    {
        Assert.Equal("'班级' & '级管' & '管理'", CjkTokens.ToTsQuery("班级管理"));
        Assert.Equal("'微'", CjkTokens.ToTsQuery("微"));
        Assert.Equal("'ppt':*", CjkTokens.ToTsQuery("ＰＰＴ")); // full-width letters, as phones type them
        Assert.Null(CjkTokens.ToTsQuery("!!！"));
        Assert.Equal("'教学' & 'ppt':*", CjkTokens.ToTsQuery("教学 PPT"));
    }
}

public sealed class RequiredPackageTests
{
    private static CourseRow Course(decimal hours) => new() { Id = Guid.NewGuid(), Hours = hours, Status = "published", Stages = [Stages.Primary] };

    [Fact]
    public void The_seed_package_is_worth_22_hours()
    {
        var national = Course(4);
        var observation = Course(2);
        var pool = Enumerable.Range(0, 8).Select(_ => Course(3)).ToList();
        var law = new[] { Course(2), Course(2) };
        var courses = new[] { national, observation }.Concat(pool).Concat(law).ToDictionary(c => c.Id);
        var request = new PackageRequest(Stages.Primary, "语文", [
            new ItemRequest("国家级优课", [national.Id], null),
            new ItemRequest("观评课", [observation.Id], null),
            new ItemRequest("课例点评", [.. pool.Select(c => c.Id)], 4),
            new ItemRequest("政策法规", [.. law.Select(c => c.Id)], null),
        ]);
        var validation = new BuildingBlocks.Http.Validation();
        var items = RequiredPackageRules.Build(Guid.NewGuid(), request, courses, validation);
        Assert.True(validation.IsValid);
        Assert.Equal([4m, 2m, 12m, 4m], items.Select(i => i.Hours));
        Assert.Equal(22m, items.Sum(i => i.Hours));
    }

    [Fact]
    public void A_draw_over_courses_of_unequal_hours_is_refused()
    {
        var pool = new[] { Course(3), Course(3), Course(2) };
        var validation = new BuildingBlocks.Http.Validation();
        RequiredPackageRules.Build(Guid.NewGuid(), new PackageRequest(Stages.Primary, "", [new ItemRequest("课例", [.. pool.Select(c => c.Id)], 2)]),
            pool.ToDictionary(c => c.Id), validation);
        Assert.Contains(validation.Errors, e => e.Field == "items[0].courseIds");
    }

    [Fact]
    public void Each_teacher_gets_their_own_reproducible_draw()
    {
        var item = new RequiredItem(Guid.NewGuid(), "课例点评", 12, [.. Enumerable.Range(0, 8).Select(_ => Guid.NewGuid())], 4);
        var teacher = Guid.NewGuid();
        var first = RequiredDraw.For(item, teacher);
        Assert.Equal(4, first.Count);
        Assert.Equal(4, first.Distinct().Count());
        Assert.Equal(first, RequiredDraw.For(item, teacher));
        Assert.All(first, c => Assert.Contains(c, item.CourseIds));
        // Across many teachers every case is drawn, and not all teachers get the same four.
        var draws = Enumerable.Range(0, 200).Select(_ => RequiredDraw.For(item, Guid.NewGuid())).ToList();
        Assert.Equal(8, draws.SelectMany(d => d).Distinct().Count());
        Assert.True(draws.Select(d => string.Join(",", d.Order())).Distinct().Count() > 20);
    }

    [Fact]
    public void Item_ids_depend_only_on_the_place_in_the_package_so_redefining_keeps_draws()
    {
        var year = Guid.NewGuid();
        Assert.Equal(RequiredPackageRules.ItemId(year, "primary", "语文", 2), RequiredPackageRules.ItemId(year, "primary", "语文", 2));
        Assert.NotEqual(RequiredPackageRules.ItemId(year, "primary", "语文", 2), RequiredPackageRules.ItemId(year, "primary", "数学", 2));
    }
}
