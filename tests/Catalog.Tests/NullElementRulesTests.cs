using System.Text.Json;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Services.Catalog.Courses;
using TrainingPlatform.Services.Catalog.ProgramYears;
using TrainingPlatform.Services.Catalog.RequiredPackages;
using Xunit;

namespace TrainingPlatform.Catalog.Tests;

/// <summary>
/// <c>[null]</c> in a list is a field error named by its path with rule <c>required</c>, both in the shared check every
/// endpoint runs on its body and in the rules themselves, which never throw on one.
/// </summary>
public sealed class NullElementRulesTests
{
    private static HashSet<(string Field, string Name)> Names(Validation validation) => [.. validation.Names];

    [Fact]
    public void A_null_session_stage_or_subject_is_named_by_its_place_and_the_rest_is_still_checked()
    {
        var validation = CourseRules.Validate(CourseRulesTests.Valid with
        {
            Mode = "concentrated",
            Stages = [null!, Stages.Primary],
            Subjects = ["语文", null!],
            Sessions = [null!, new("", new(2026, 8, 23), new(2026, 8, 26), 60)],
        });
        Assert.Superset(new HashSet<(string, string)> { ("sessions[0]", "required"), ("stages[0]", "required"), ("subjects[1]", "required") },
            Names(validation));
        Assert.Contains(validation.Errors, e => e.Field == "sessions[1].place");
        Assert.DoesNotContain(validation.Errors, e => e.Field == "stages" || e.Field == "subjects");
        Assert.All(validation.Errors.Where(e => e.Field.EndsWith(']')), e => Assert.Contains("为空", e.Rule));
    }

    [Fact]
    public void A_null_package_item_is_named()
    {
        var validation = RequiredPackageRules.ValidateShape(new PackageRequest(Stages.Primary, "语文", [null!, new ItemRequest("观评课", [Guid.NewGuid()], null)]));
        Assert.Equal([("items[0]", "required")], validation.Names);
        Assert.Single(validation.Errors);
    }

    [Theory]
    [InlineData("""{"sessions":[null]}""", "sessions[0]")]
    [InlineData("""{"stages":["primary",null]}""", "stages[1]")]
    [InlineData("""{"sessions":[{"place":"滨州"},null,null]}""", "sessions[1]", "sessions[2]")]
    public void The_shared_check_names_each_null_element_by_its_json_path(string json, params string[] paths)
    {
        var body = JsonSerializer.Deserialize<CourseRequest>(json, JsonSerializerOptions.Web)!;
        var validation = NullElements.Check(body, JsonSerializerOptions.Web);
        Assert.Equal(paths.Select(p => (p, Validation.Required)).ToHashSet(), Names(validation));
    }

    [Fact]
    public void The_shared_check_reaches_nested_lists_and_passes_a_body_without_nulls()
    {
        var nested = JsonSerializer.Deserialize<PackageRequest>("""{"items":[{"title":"a","courseIds":[]},null]}""", JsonSerializerOptions.Web)!;
        Assert.Equal([("items[1]", "required")], NullElements.Check(nested, JsonSerializerOptions.Web).Names);
        var complete = JsonSerializer.Deserialize<CourseRequest>("""{"stages":["primary"],"sessions":[{"place":"滨州","capacity":3}]}""",
            JsonSerializerOptions.Web)!;
        Assert.True(NullElements.Check(complete, JsonSerializerOptions.Web).IsValid);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1999)]
    [InlineData(2101)]
    [InlineData(9999)]
    public void A_window_dated_in_a_year_no_cycle_covers_is_out_of_range(int year)
    {
        var validation = ProgramYearRules.Validate(new("2026", "互联网+教师专业发展", 36, 14,
            ProgramYearRulesTests.Seed with { CreditRegistrationCloses = new(year, 12, 31) }), out _);
        Assert.Contains(("windows.creditRegistrationCloses", Validation.OutOfRange), validation.Names);
    }
}
