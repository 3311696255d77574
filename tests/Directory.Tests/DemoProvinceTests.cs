using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Directory.Demo;
using TrainingPlatform.Services.Directory.Imports;
using TrainingPlatform.Services.Directory.Teachers;
using Xunit;

namespace TrainingPlatform.Directory.Tests;

public sealed class DemoProvinceTests
{
    private static readonly DateOnly AsOf = new(2026, 11, 23);

    private static List<TeacherInput> Teachers(DateOnly asOf) =>
        [.. TeacherSheet.Read(Csv.Parse(Csv.Decode(DemoProvince.TeachersCsv(asOf)))).Rows.Select(r => r.Input)];

    [Fact]
    public void The_demo_teachers_are_about_two_thousand_valid_unique_rows_and_the_same_every_time()
    {
        var csv = DemoProvince.TeachersCsv(AsOf);
        var (rows, errors) = TeacherSheet.Read(Csv.Parse(Csv.Decode(csv)));

        Assert.Empty(errors);
        Assert.Equal(2000, rows.Count);
        Assert.Equal(DemoProvince.Counties.Length * DemoProvince.TeachersPerCounty, rows.Count);
        Assert.All(rows, r => Assert.True(TeacherRules.Validate(r.Input, AsOf, out _).IsValid, $"line {r.Line}"));
        Assert.Equal(rows.Count, rows.Select(r => r.Input.NationalId).Distinct().Count());
        Assert.Contains(rows, r => r.Input is { NationalId: "371602198503120028", Name: "王丽", SchoolCode: "371602001" });
        Assert.Equal(csv, DemoProvince.TeachersCsv(AsOf));
        // The schools the README and the portal's tests count keep their 40 teachers, and 滨城区 its 400.
        Assert.All(new[] { "371602001", "371602002", "371602009" }, code => Assert.Equal(40, rows.Count(r => r.Input.SchoolCode == code)));
        Assert.Equal(400, rows.Count(r => r.Input.SchoolCode!.StartsWith("371602", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("2026-11-23")]
    [InlineData("2028-03-01")]
    [InlineData("2031-09-01")]
    public void Only_teachers_in_their_first_three_years_are_new_teachers_whenever_the_demo_is_seeded(string day)
    {
        var asOf = DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture);
        var teachers = Teachers(asOf);

        Assert.All(teachers, t => Assert.Equal(Tiers.InFirstYears(t.HireDate!.Value, asOf), t.Tier == Tiers.NewTeacher));
        // Hire dates do not move: only the tiers follow the day.
        Assert.Equal(Teachers(AsOf).Select(t => (t.NationalId, t.HireDate)), teachers.Select(t => (t.NationalId, t.HireDate)));
    }

    [Fact]
    public void A_county_has_new_teachers_to_pair_and_backbone_teachers_to_mentor_them()
    {
        foreach (var (code, _, _) in DemoProvince.Counties)
        {
            var county = Teachers(AsOf).Where(t => t.SchoolCode!.StartsWith(code, StringComparison.Ordinal)).ToList();
            Assert.InRange(county.Count(t => t.Tier == Tiers.NewTeacher), 20, 60);
            // Backbone quota: about a fifth of a county's teachers.
            Assert.InRange(county.Count(t => t.Tier == Tiers.Backbone), 60, 100);
        }
    }

    [Fact]
    public void Every_kindergarten_has_one_head()
    {
        var teachers = Teachers(AsOf);
        var kindergartens = DemoProvince.Schools().Where(s => s.Stages is ["kindergarten"]).ToList();

        Assert.Equal(10, kindergartens.Count);
        Assert.All(kindergartens, k => Assert.Single(teachers, t => t.SchoolCode == k.Code && t.Subject == "园长"));
        Assert.Equal(kindergartens.Count, teachers.Count(t => t.Subject == "园长"));
    }

    [Fact]
    public void Senior_subjects_too_small_for_a_school_group_add_up_to_a_cross_school_group_in_every_county()
    {
        // Mentoring's defaults: a school subject of fewer than 5 teachers goes to the county's cross-school groups.
        foreach (var (code, _, _) in DemoProvince.Counties)
        {
            var pooled = Teachers(AsOf).Where(t => t.SchoolCode!.StartsWith(code, StringComparison.Ordinal) && t.Stage == "senior")
                .GroupBy(t => (t.SchoolCode, t.Subject)).Where(g => g.Count() < 5).SelectMany(g => g)
                .GroupBy(t => t.Subject!).ToDictionary(g => g.Key, g => g.Count());

            Assert.Equal(Subjects.ByStage["senior"].Order(StringComparer.Ordinal), pooled.Keys.Order(StringComparer.Ordinal));
            Assert.All(pooled, p => Assert.InRange(p.Value, 6, 14));
        }
    }

    [Fact]
    public void Every_role_has_a_demo_account()
    {
        var roles = DemoProvince.Staff().Select(s => s.Role).ToHashSet();
        Assert.Equal(["auditor", "district_admin", "guide_teacher", "learning_platform", "research_office", "school_admin", "training_institution"], roles.Order());
        Assert.Equal(50, DemoProvince.Schools().Count());
    }

    [Fact]
    public void Each_county_guide_account_is_a_backbone_or_master_teacher_of_the_county_the_same_every_time()
    {
        var byId = Teachers(AsOf).ToDictionary(t => t.NationalId!);
        var guides = DemoProvince.GuideTeachers(AsOf).ToList();

        Assert.Equal(DemoProvince.Counties.Select(c => $"guide-{c.Code}"), guides.Select(g => g.Login));
        Assert.Equal(DemoProvince.Staff().Where(s => s.Role == "guide_teacher").Select(s => s.Login), guides.Select(g => g.Login));
        Assert.All(guides, g =>
        {
            var teacher = byId[g.NationalId];
            Assert.Equal(g.Name, teacher.Name);
            Assert.StartsWith(g.Login["guide-".Length..], teacher.SchoolCode, StringComparison.Ordinal);
            Assert.Contains(teacher.Tier, new[] { "backbone", "master" });
        });
        Assert.Equal(guides, DemoProvince.GuideTeachers(AsOf));
        // The README names 滨城区's guide; the most senior keep their tiers whatever the day.
        Assert.Equal(("高洋", "371602196611161370"), (guides[0].Name, guides[0].NationalId));
        Assert.Equal(guides, DemoProvince.GuideTeachers(new DateOnly(2031, 9, 1)));
    }
}
