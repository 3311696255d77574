using TrainingPlatform.Services.Directory.Accounts;
using Xunit;

namespace TrainingPlatform.Directory.Tests;

/// <summary>The first sign-in convention: the name's full pinyin, as a teacher would type it.</summary>
public sealed class PinyinTests
{
    [Theory]
    [InlineData("张三", "zhangsan")]
    [InlineData("王丽", "wangli")]
    [InlineData("诸葛亮", "zhugeliang")]
    [InlineData("欧阳娜娜", "ouyangnana")]
    public void A_name_matches_its_full_pinyin(string name, string typed) => Assert.True(Pinyin.Matches(name, typed));

    [Theory]
    [InlineData("曾国藩", "zengguofan")]
    [InlineData("单田芳", "shantianfang")]
    [InlineData("区志坚", "ouzhijian")]
    [InlineData("仇英", "qiuying")]
    [InlineData("解缙", "xiejin")]
    [InlineData("朴树", "piaoshu")]
    [InlineData("查良镛", "zhaliangyong")]
    [InlineData("覃海", "qinhai")]
    [InlineData("乐嘉", "yuejia")]
    [InlineData("乐嘉", "lejia")]
    [InlineData("盖叫天", "gejiaotian")]
    [InlineData("曾国藩", "cengguofan")]
    public void Polyphonic_surnames_match_their_surname_reading(string name, string typed) => Assert.True(Pinyin.Matches(name, typed));

    [Theory]
    [InlineData("吕布", "lvbu")]
    [InlineData("吕布", "lubu")]
    [InlineData("吕布", "lǚbù")]
    [InlineData("女娲", "nvwa")]
    [InlineData("聂略", "nielue")]
    [InlineData("聂略", "nielve")]
    public void U_umlaut_is_typed_v_or_u(string name, string typed) => Assert.True(Pinyin.Matches(name, typed));

    [Theory]
    [InlineData("张三", "ZhangSan")]
    [InlineData("张三", "zhang san")]
    [InlineData("张三", "ZHANG'SAN")]
    [InlineData("张三", "ｚｈａｎｇｓａｎ")]
    [InlineData("张三", "zhāngsān")]
    [InlineData("西安", "xi'an")]
    public void Case_spaces_apostrophes_tones_and_full_width_letters_do_not_matter(string name, string typed) =>
        Assert.True(Pinyin.Matches(name, typed));

    [Theory]
    [InlineData("阿依古丽·买买提", "ayiguli maimaiti")]
    [InlineData("阿依古丽·买买提", "ayiguli·maimaiti")]
    [InlineData("张 三", "zhangsan")]
    [InlineData("李A", "lia")]
    public void Middle_dots_and_spaces_in_the_name_are_ignored_and_latin_letters_typed_as_they_are(string name, string typed) =>
        Assert.True(Pinyin.Matches(name, typed));

    [Theory]
    [InlineData("张三", "zhangsi")]
    [InlineData("张三", "zhang")]
    [InlineData("张三", "zhangsanx")]
    [InlineData("张三", "sanzhang")]
    [InlineData("张三", "zhangsan1")]
    [InlineData("张三", "张三")]
    [InlineData("曾国藩", "cenguofan")]
    [InlineData("盖聂", "ginie")]
    [InlineData("李A", "li")]
    public void Anything_but_the_full_pinyin_in_order_is_refused(string name, string typed) => Assert.False(Pinyin.Matches(name, typed));

    [Theory]
    [InlineData("张三", "")]
    [InlineData("张三", "   ")]
    [InlineData("张三", "'·'")]
    [InlineData("张三", null)]
    [InlineData("", "")]
    [InlineData("·", "")]
    [InlineData(null, "zhangsan")]
    public void Empty_is_refused(string? name, string? typed) => Assert.False(Pinyin.Matches(name, typed));

    [Fact]
    public void A_name_with_a_character_the_table_does_not_know_never_matches()
    {
        Assert.False(Pinyin.Matches("王\U00020000", "wangke")); // Extension B: not in the table
        Assert.False(Pinyin.Matches("王〇", "wangling"));
    }

    [Fact]
    public void Extension_a_characters_are_known()
    {
        Assert.True(Pinyin.Matches("王㐀", "wangqiu")); // U+3400, kMandarin qiū
    }

    [Fact]
    public void A_long_name_of_polyphonic_characters_is_checked_without_blowing_up()
    {
        var name = string.Concat(Enumerable.Repeat("单朴乐曾", 25)); // readings multiply to 3^25 · 3^25 · 2^25 · 2^25 paths
        var typed = string.Concat(Enumerable.Repeat("shanpiaoyuezeng", 25));
        // Trying every combination would never finish; the dynamic programme answers at once.
        Assert.True(Pinyin.Matches(name, typed));
        Assert.False(Pinyin.Matches(name, typed + "x"));
        Assert.False(Pinyin.Matches(name, new string('a', 1_000_000)));
    }
}
