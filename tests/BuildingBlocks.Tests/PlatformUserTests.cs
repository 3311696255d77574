using TrainingPlatform.BuildingBlocks.Security;
using Xunit;

namespace TrainingPlatform.BuildingBlocks.Tests;

/// <summary>The one scope rule every service enforces.</summary>
public sealed class PlatformUserTests
{
    private static PlatformUser User(string role, string path, Guid? teacher = null) => new(Guid.NewGuid(), "", role, null, path, teacher);

    [Fact]
    public void A_district_sees_its_own_subtree_and_not_a_sibling_whose_code_merely_starts_the_same()
    {
        var county = User(Roles.DistrictAdmin, "37/3716/371602");
        Assert.True(county.CanSeeOrganisation("37/3716/371602"));
        Assert.True(county.CanSeeOrganisation("37/3716/371602/371602001"));
        Assert.False(county.CanSeeOrganisation("37/3716/3716021"));
        Assert.False(county.CanSeeOrganisation("37/3716"));
    }

    [Fact]
    public void A_teacher_sees_only_their_own_records_and_no_organisation_lists()
    {
        var me = Guid.NewGuid();
        var teacher = User(Roles.Teacher, "37/3716/371602/371602001", me);
        Assert.True(teacher.CanSeeTeacher(me, "37/3716/371602/371602001"));
        Assert.False(teacher.CanSeeTeacher(Guid.NewGuid(), "37/3716/371602/371602001"));
        Assert.False(teacher.CanSeeOrganisation("37/3716/371602/371602001"));
    }

    [Fact]
    public void The_operator_sees_everything_and_an_account_without_a_scope_sees_nothing()
    {
        Assert.True(User(Roles.PlatformOperator, "").CanSeeOrganisation("44/4401"));
        Assert.False(User(Roles.SchoolAdmin, "").CanSeeOrganisation("44/4401"));
    }
}
