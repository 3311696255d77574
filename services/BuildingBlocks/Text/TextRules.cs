using System.Globalization;
using System.Text;

namespace TrainingPlatform.BuildingBlocks.Text;

/// <summary>
/// What may be typed into a person's name and into a title. Pure: each check returns the reason in Chinese, or null.
/// </summary>
/// <remarks>
/// <para>A person's name goes onto a certificate exactly as typed, so it holds nothing a certificate cannot print or
/// a clerk could not retype: letters of any script (every CJK block, extension B and beyond included, so 𠀀 and the
/// rare characters of real names pass), 〇, combining marks on a letter (é typed decomposed), and between two of
/// those a space, a hyphen, an apostrophe or the middle dot of minority names (阿依古丽·买买提). The dots that input
/// methods put in its place (・ U+30FB, ‧ U+2027, ･ U+FF65, • U+2022) are accepted and stored as · U+00B7, the
/// form the household register uses, so one person never has two spellings. Digits, symbols, emoji, control and
/// format characters, private-use and unassigned code points are refused.</para>
/// <para>A title (of a course, an activity, a training) is free text, but one line of it: control and format
/// characters, private-use and unassigned code points and emoji are refused; other symbols (①, ※, →) are not.</para>
/// </remarks>
public static class TextRules
{
    /// <summary>The stable name of the rule a name or title with a character it may not hold breaks.</summary>
    public const string InvalidCharacters = "invalid-characters";

    public const char MiddleDot = '\u00B7';

    private static readonly int[] DotLookAlikes = [0x30FB, 0x2027, 0xFF65, 0x2022];

    /// <summary>Why <paramref name="name"/> (trimmed) cannot be a person's name, in Chinese; null when it can.</summary>
    public static string? WhyNotPersonName(string name)
    {
        var previousIsNamePart = false;
        var runes = name.Trim().EnumerateRunes().ToList();
        for (var i = 0; i < runes.Count; i++)
        {
            var rune = runes[i];
            if (WhyNotInText(rune) is { } why)
            {
                return $"姓名{why}";
            }
            var category = Rune.GetUnicodeCategory(rune);
            if (IsLetter(category) || category is UnicodeCategory.LetterNumber)
            {
                previousIsNamePart = true;
            }
            else if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark && previousIsNamePart)
            {
                // a mark belongs to the letter before it
            }
            else if (IsSeparator(rune))
            {
                if (!previousIsNamePart || i == runes.Count - 1)
                {
                    return $"姓名中的“{rune}”只能写在两个字之间";
                }
                previousIsNamePart = false;
            }
            else
            {
                return $"姓名不能包含“{Show(rune)}”：姓名只能由文字组成，少数民族姓名中间可用间隔号“·”";
            }
        }
        return null;
    }

    /// <summary>The name as stored: trimmed, and any look-alike of the middle dot written as · U+00B7.</summary>
    public static string NormalisePersonName(string name)
    {
        var text = name.Trim();
        foreach (var dot in DotLookAlikes)
        {
            text = text.Replace(char.ConvertFromUtf32(dot), MiddleDot.ToString(), StringComparison.Ordinal);
        }
        return text;
    }

    /// <summary>Why <paramref name="text"/> cannot be a title (one line of text shown to people), in Chinese; null when it can.</summary>
    public static string? WhyNotTitle(string text)
    {
        foreach (var rune in text.EnumerateRunes())
        {
            if (WhyNotInText(rune) is { } why)
            {
                return why;
            }
        }
        return null;
    }

    /// <summary>Whether <paramref name="rune"/> is (part of) an emoji: the pictographic blocks and what joins and modifies emoji.</summary>
    public static bool IsEmoji(Rune rune)
    {
        var c = rune.Value;
        return c is >= 0x1F000 and <= 0x1FAFF     // mahjong and cards … pictographs, flags' regional indicators, skin tones
            or >= 0x2600 and <= 0x27BF             // miscellaneous symbols and dingbats (☀ ✂ ❤)
            or >= 0x231A and <= 0x23FF             // ⌚ ⏰ ⏳ (not the technical brackets before them)
            or >= 0x2B00 and <= 0x2BFF             // ⬆ ⭐ ⭕
            or 0x200D or 0x20E3 or 0xFE0E or 0xFE0F // joiner, keycap, presentation selectors
            or >= 0xE0020 and <= 0xE007F;          // tag characters of subdivision flags
    }

    /// <summary>What no line of text may hold, whoever it names.</summary>
    private static string? WhyNotInText(Rune rune)
    {
        if (IsEmoji(rune))
        {
            return $"不能包含表情符号“{Show(rune)}”";
        }
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.Control => $"不能包含控制字符（{Code(rune)}，如换行、制表符）",
            UnicodeCategory.Format => $"不能包含不可见的格式字符（{Code(rune)}）",
            UnicodeCategory.PrivateUse => $"不能包含私用区字符（{Code(rune)}）：这类字符只在个别电脑上显示为字，请改用标准汉字",
            UnicodeCategory.OtherNotAssigned => $"不能包含 Unicode 未分配的字符（{Code(rune)}）",
            UnicodeCategory.Surrogate => "含有无效的字符编码",
            _ => null,
        };
    }

    private static bool IsLetter(UnicodeCategory category) => category is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
        or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter;

    private static bool IsSeparator(Rune rune) =>
        rune.Value is ' ' or '-' or '\'' or MiddleDot || DotLookAlikes.Contains(rune.Value);

    /// <summary>A character as a person can see it: itself when it prints, otherwise its code point.</summary>
    private static string Show(Rune rune) => Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.SpaceSeparator => $"空格 {Code(rune)}",
        UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format => Code(rune),
        _ => rune.ToString(),
    };

    private static string Code(Rune rune) => $"U+{rune.Value:X4}";
}
