using TrainingPlatform.BuildingBlocks.Text;
using Xunit;

namespace TrainingPlatform.BuildingBlocks.Tests;

/// <summary>The one masking rule for ID numbers: pure, no server.</summary>
public sealed class PersonalDataTests
{
    [Theory]
    [InlineData("371602198503120028", "3716**********0028")]
    [InlineData("37160219850312028X", "3716**********028X")]
    [InlineData(" 371602198503120028 ", "3716**********0028")] // as stored it is trimmed; shown the same either way
    [InlineData("371602850312002", "3716*******2002")]        // first-generation, 15 digits
    [InlineData("3716021985", "37******85")]
    [InlineData("371602", "3****2")]
    [InlineData("3716", "****")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void An_id_number_keeps_only_its_ends_and_its_length(string? id, string shown) =>
        Assert.Equal(shown, PersonalData.MaskNationalId(id));

    [Fact]
    public void A_masked_number_hides_the_birth_date() =>
        Assert.DoesNotContain("19850312", PersonalData.MaskNationalId("371602198503120028"));

    [Theory]
    [InlineData("371602198503120028", "3716**********0028")]
    [InlineData("37160219850312028x", "3716**********028x")]
    [InlineData("district-371602", "district-371602")]
    [InlineData("operator", "operator")]
    [InlineData("3716021985031200281", "3716021985031200281")] // 19 digits is no ID number
    public void Only_a_login_shaped_like_an_id_number_is_masked(string login, string shown) =>
        Assert.Equal(shown, PersonalData.ShownLogin(login));

    [Theory]
    [InlineData("张三丰", "张**")]
    [InlineData("阿依古丽·买买提", "阿*******")]
    [InlineData("𠀀明", "𠀀*")]          // a surrogate pair stays whole
    [InlineData("明𠀀", "明*")]          // and counts as one hidden character
    [InlineData("José", "J***")]
    [InlineData("王", "王")]
    [InlineData("", "")]
    public void A_name_keeps_its_first_character_and_hides_the_rest_one_star_each(string name, string shown) =>
        Assert.Equal(shown, PersonalData.MaskName(name));

    [Fact]
    public void Id_numbers_inside_a_summary_are_masked_and_other_numbers_are_not() =>
        Assert.Equal("登记教师 王丽（3716**********0028），学校 371602001，流水号 123456789012345678901",
            PersonalData.MaskNationalIdsIn("登记教师 王丽（371602198503120028），学校 371602001，流水号 123456789012345678901"));
}
