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

    [Fact]
    public void Each_county_guide_account_is_a_backbone_or_master_teacher_of_the_county_the_same_every_time()
    {
        var (rows, _) = TeacherSheet.Read(Csv.Parse(Csv.Decode(DemoProvince.TeachersCsv())));
        var byId = rows.ToDictionary(r => r.Input.NationalId!, r => r.Input);
        var guides = DemoProvince.GuideTeachers().ToList();

        Assert.Equal(DemoProvince.Counties.Select(c => $"guide-{c.Code}"), guides.Select(g => g.Login));
        Assert.Equal(DemoProvince.Staff().Where(s => s.Role == "guide_teacher").Select(s => s.Login), guides.Select(g => g.Login));
        Assert.All(guides, g =>
        {
            var teacher = byId[g.NationalId];
            Assert.Equal(g.Name, teacher.Name);
            Assert.StartsWith(g.Login["guide-".Length..], teacher.SchoolCode, StringComparison.Ordinal);
            Assert.Contains(teacher.Tier, new[] { "backbone", "master" });
        });
        Assert.Equal(guides, DemoProvince.GuideTeachers());
        // The README names 滨城区's guide.
        Assert.Equal(("杨勇", "371602196602051057"), (guides[0].Name, guides[0].NationalId));
    }
}
