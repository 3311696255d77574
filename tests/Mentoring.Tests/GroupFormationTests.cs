using TrainingPlatform.Services.Mentoring.StudyGroups;
using Xunit;

namespace TrainingPlatform.Mentoring.Tests;

public sealed class GroupFormationTests
{
    private static readonly Guid School = Guid.NewGuid();

    private static List<GroupCandidate> Teachers(int count, string subject, int firstYear = 2000) =>
        [.. Enumerable.Range(0, count).Select(i => new GroupCandidate(Guid.NewGuid(), $"{subject}{i:00}", School, "37/3716/371602/S1", "primary", subject,
            new DateOnly(firstYear + i, 9, 1)))];

    [Theory]
    [InlineData(1, 10, 1)]
    [InlineData(14, 10, 1)]
    [InlineData(15, 10, 2)]
    [InlineData(24, 10, 2)]
    [InlineData(25, 10, 3)]
    [InlineData(40, 8, 5)]
    public void Groups_are_about_the_set_size(int teachers, int size, int groups) => Assert.Equal(groups, GroupFormation.GroupCount(teachers, size));

    [Fact]
    public void Each_group_gets_one_of_the_most_senior_as_suggested_leader_and_sizes_differ_by_at_most_one()
    {
        var maths = Teachers(25, "数学");
        var (groups, left) = GroupFormation.ForSchool(maths, 10, 5);
        Assert.Empty(left);
        Assert.Equal([9, 8, 8], groups.Select(g => g.Members.Count));
        Assert.Equal(maths.Take(3).Select(t => t.TeacherId), groups.Select(g => g.SuggestedLeaderId));
        Assert.Equal(25, groups.SelectMany(g => g.Members).Select(m => m.TeacherId).Distinct().Count());
    }

    [Fact]
    public void Subjects_below_the_minimum_are_left_to_the_county_and_merged_there_across_schools()
    {
        var (groups, left) = GroupFormation.ForSchool([.. Teachers(12, "数学"), .. Teachers(4, "音乐")], 10, 5);
        Assert.Equal("数学", Assert.Single(groups).Subject);
        Assert.Equal(4, left.Count);
        Assert.True(GroupFormation.GoesToCounty(4, 5));
        Assert.False(GroupFormation.GoesToCounty(5, 5));

        var otherSchool = Teachers(3, "音乐", 1995).Select(t => t with { SchoolId = Guid.NewGuid(), SchoolPath = "37/3716/371602/S2" });
        var cross = Assert.Single(GroupFormation.CrossSchool([.. left, .. otherSchool], 10));
        Assert.Equal(7, cross.Members.Count);
        Assert.Equal(2, cross.Members.Select(m => m.SchoolPath).Distinct().Count());
        Assert.Equal(new DateOnly(1995, 9, 1), cross.Members.Single(m => m.TeacherId == cross.SuggestedLeaderId).HireDate);
        Assert.Equal("滨城区小学音乐跨校研修组", cross.NameAt("滨城区", crossSchool: true));
    }

    [Theory]
    [InlineData("滨城区第一幼儿园", "kindergarten", "园长", false, "滨城区第一幼儿园园长研修组")]
    [InlineData("滨城区第一幼儿园", "kindergarten", "幼儿园教师", false, "滨城区第一幼儿园教师研修组")]
    [InlineData("滨城区实验小学", "primary", "语文", false, "滨城区实验小学语文研修组")]
    [InlineData("滨城区第一中学", "junior", "数学", false, "滨城区第一中学初中数学研修组")]
    [InlineData("滨城区九年一贯制学校", "primary", "英语", false, "滨城区九年一贯制学校小学英语研修组")]
    [InlineData("滨城区", "kindergarten", "园长", true, "滨城区幼儿园园长跨校研修组")]
    [InlineData("滨城区", "kindergarten", "幼儿园教师", true, "滨城区幼儿园教师跨校研修组")]
    public void A_group_name_does_not_repeat_the_stage_a_school_name_already_ends_with(string organisation, string stage, string subject, bool crossSchool, string expected) =>
        Assert.Equal(expected, new FormedGroup(stage, subject, [], Guid.Empty, 1, 1).NameAt(organisation, crossSchool));
}
