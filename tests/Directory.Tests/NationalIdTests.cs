using TrainingPlatform.Services.Directory.Teachers;
using Xunit;

namespace TrainingPlatform.Directory.Tests;

public sealed class NationalIdTests
{
    private static readonly DateOnly Today = new(2026, 11, 23);

    [Theory]
    [InlineData("11010519491231002X", 1949, 12, 31, Sex.Female)] // the standard's own example
    [InlineData("440305198506150038", 1985, 6, 15, Sex.Male)]
    [InlineData("510107200002290045", 2000, 2, 29, Sex.Female)] // a leap day
    public void A_valid_number_gives_birth_date_and_sex(string input, int year, int month, int day, Sex sex)
    {
        Assert.True(NationalId.TryParse(input, Today, out var id, out var error), error);
        Assert.Equal(new DateOnly(year, month, day), id!.BirthDate);
        Assert.Equal(sex, id.Sex);
    }

    [Fact]
    public void A_lower_case_x_is_accepted_and_stored_upper_case()
    {
        Assert.True(NationalId.TryParse(" 11010519491231002x ", Today, out var id, out _));
        Assert.Equal("11010519491231002X", id!.Value);
    }

    [Theory]
    [InlineData("110105194912310021", "校验位")]      // checksum should be X
    [InlineData("11010519491231002", "18 位")]        // too short
    [InlineData("1101051949123100AX", "前 17 位")]     // letter in the body
    [InlineData("110105194902300026", "出生日期")]     // 30 February
    [InlineData("110105203001010020", "出生日期")]     // born in the future
    [InlineData("440524188001010014", "出生日期")]     // checksum right, but born before 1900
    [InlineData("11010519491231002Y", "最后一位")]
    [InlineData(null, "18 位")]
    [InlineData("3716**********0028", "脱敏")]       // copied from a list or an ordinary export
    public void An_invalid_number_is_refused_with_the_reason(string? input, string reasonContains)
    {
        Assert.False(NationalId.TryParse(input, Today, out var id, out var error));
        Assert.Null(id);
        Assert.Contains(reasonContains, error);
    }

    [Fact]
    public void The_check_character_follows_iso_7064_mod_11_2()
    {
        Assert.Equal('X', NationalId.CheckCharacter("11010519491231002"));
        Assert.Equal('4', NationalId.CheckCharacter("44052418800101001"));
    }
}
