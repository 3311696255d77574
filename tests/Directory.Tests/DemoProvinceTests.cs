using TrainingPlatform.Services.Directory.Demo;
using TrainingPlatform.Services.Directory.Imports;
using TrainingPlatform.Services.Directory.Teachers;
using Xunit;

namespace TrainingPlatform.Directory.Tests;

public sealed class DemoProvinceTests
{
    [Fact]
    public void The_demo_teachers_are_about_two_thousand_valid_unique_rows_and_the_same_every_time()
    {
        var csv = DemoProvince.TeachersCsv();
        var (rows, errors) = TeacherSheet.Read(Csv.Parse(Csv.Decode(csv)));

        Assert.Empty(errors);
        Assert.Equal(50 * DemoProvince.TeachersPerSchool, rows.Count);
        Assert.All(rows, r => Assert.True(TeacherRules.Validate(r.Input, new DateOnly(2026, 11, 23), out _).IsValid, $"line {r.Line}"));
        Assert.Equal(rows.Count, rows.Select(r => r.Input.NationalId).Distinct().Count());
        Assert.Contains(rows, r => r.Input is { NationalId: "371602198503120028", Name: "王丽", SchoolCode: "371602001" });
        Assert.Equal(csv, DemoProvince.TeachersCsv());
    }

    [Fact]
    public void Every_role_has_a_demo_account()
    {
        var roles = DemoProvince.Staff().Select(s => s.Role).ToHashSet();
        Assert.Equal(["district_admin", "guide_teacher", "learning_platform", "research_office", "school_admin", "training_institution"], roles.Order());
        Assert.Equal(50, DemoProvince.Schools().Count());
    }
}
