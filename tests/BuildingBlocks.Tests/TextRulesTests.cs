using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Text;
using Xunit;

namespace TrainingPlatform.BuildingBlocks.Tests;

/// <summary>What a name on a certificate and a title may hold: pure rules, no server.</summary>
public sealed class TextRulesTests
{
    [Theory]
    [InlineData("王丽")]
    [InlineData("欧阳娜娜")]
    [InlineData("阿依古丽·买买提")]           // the middle dot of minority names, U+00B7
    [InlineData("𠀀明")]                      // CJK extension B
    [InlineData("王𪚥")]                      // extension C
    [InlineData("李〇")]                      // 〇 U+3007
    [InlineData("叶々")]
    [InlineData("Anna-Maria O'Neil")]
    [InlineData("José")]
    [InlineData("Jose\u0301")]                // é typed decomposed: a mark on its letter
    [InlineData("  王丽  ")]                   // surrounding spaces are trimmed, not refused
    public void A_real_name_is_accepted(string name) => Assert.Null(TextRules.WhyNotPersonName(name));

    [Theory]
    [InlineData("王丽😀", "表情符号")]
    [InlineData("王👍🏻丽", "表情符号")]
    [InlineData("王丽❤", "表情符号")]
    [InlineData("王丽\u2764\uFE0F", "表情符号")]
    [InlineData("王\u0007丽", "控制字符")]
    [InlineData("王\r\n丽", "控制字符")]
    [InlineData("王\t丽", "控制字符")]
    [InlineData("王\u200B丽", "格式字符")]      // zero-width space
    [InlineData("王\u202E丽", "格式字符")]      // right-to-left override
    [InlineData("王\uE000丽", "私用区")]
    [InlineData("王\u0378丽", "未分配")]        // unassigned in the Greek block
    [InlineData("王\U0010FFFF丽", "未分配")]    // plane 16's last code point: a noncharacter, never assigned
    [InlineData("王丽2", "只能由文字组成")]
    [InlineData("王丽!", "只能由文字组成")]
    [InlineData("<script>", "只能由文字组成")]
    [InlineData("·王丽", "两个字之间")]
    [InlineData("王丽·", "两个字之间")]
    [InlineData("王··丽", "两个字之间")]
    [InlineData("王  丽", "两个字之间")]
    public void A_name_with_what_a_certificate_cannot_hold_is_refused_with_the_reason(string name, string reason)
    {
        var why = TextRules.WhyNotPersonName(name);
        Assert.NotNull(why);
        Assert.Contains(reason, why, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("阿依古丽・买买提")]  // U+30FB, what a Japanese-style input method types
    [InlineData("阿依古丽‧买买提")]   // U+2027
    [InlineData("阿依古丽•买买提")]   // U+2022
    [InlineData("阿依古丽･买买提")]   // U+FF65
    public void The_look_alikes_of_the_middle_dot_are_accepted_and_stored_as_the_middle_dot(string typed)
    {
        Assert.Null(TextRules.WhyNotPersonName(typed));
        Assert.Equal("阿依古丽·买买提", TextRules.NormalisePersonName($" {typed} "));
    }

    [Theory]
    [InlineData("班级管理①：从“问题学生”到成长伙伴 → 实践篇")]
    [InlineData("信息技术2.0 & AI 助教（初中/高中）")]
    [InlineData("𠀀字考")]
    public void A_title_with_ordinary_symbols_is_accepted(string title) => Assert.Null(TextRules.WhyNotTitle(title));

    [Theory]
    [InlineData("班级管理🎉", "表情符号")]
    [InlineData("班级\u0000管理", "控制字符")]
    [InlineData("班级\r\n管理", "控制字符")]
    [InlineData("班级\u2066管理", "格式字符")]
    [InlineData("班级\uF8FF管理", "私用区")]
    [InlineData("班级\U000E0001管理", "格式字符")]
    public void A_title_with_emoji_or_control_characters_is_refused(string title, string reason) =>
        Assert.Contains(reason, TextRules.WhyNotTitle(title), StringComparison.Ordinal);

    [Fact]
    public void A_person_name_field_names_its_rule()
    {
        Assert.Equal([("name", TextRules.InvalidCharacters)], new Validation().RequirePersonName("王丽😀", "name").Names);
        Assert.Equal([("name", Validation.Required)], new Validation().RequirePersonName(" ", "name").Names);
        Assert.Equal([("name", Validation.TooLong)], new Validation().RequirePersonName(new string('王', 51), "name").Names);
        // Length counts characters as people see them: 50 extension-B characters are 100 UTF-16 units.
        Assert.True(new Validation().RequirePersonName(string.Concat(Enumerable.Repeat("𠀀", 50)), "name").IsValid);
    }

    [Fact]
    public void A_date_of_something_that_happened_is_not_after_today_and_in_a_year_the_platform_holds()
    {
        var today = new DateOnly(2026, 7, 1);
        Assert.True(new Validation().RequirePastDate(today, today, "occurredOn", "培训日期").IsValid);
        Assert.Equal([("occurredOn", Validation.FutureDate)], new Validation().RequirePastDate(today.AddDays(1), today, "occurredOn", "培训日期").Names);
        Assert.Equal([("occurredOn", Validation.FutureDate)], new Validation().RequirePastDate(new DateOnly(2099, 1, 1), today, "occurredOn", "培训日期").Names);
        Assert.Equal([("occurredOn", Validation.OutOfRange)], new Validation().RequirePastDate(new DateOnly(1999, 12, 31), today, "occurredOn", "培训日期").Names);
        Assert.Equal([("occurredOn", Validation.Required)], new Validation().RequirePastDate(null, today, "occurredOn", "培训日期").Names);
        // A hire date dates no credit: a teacher hired in 1988 is hired in 1988.
        Assert.True(new Validation().RequirePastDate(new DateOnly(1988, 9, 1), today, "hireDate", "入职日期", creditYear: false).IsValid);
    }
}
