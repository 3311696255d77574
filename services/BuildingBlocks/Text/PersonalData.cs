using System.Text.RegularExpressions;

namespace TrainingPlatform.BuildingBlocks.Text;

/// <summary>
/// How personal data is shown where the purpose needs no more than recognising the person (lists, pages, ordinary
/// exports, the audit trail's answers): one masking rule, written once, so every service masks alike. Pure.
/// </summary>
/// <remarks>
/// An 18-character ID number keeps its first 4 characters (province and city, the scope an administrator already
/// knows) and its last 4 (enough to tell two namesakes apart): <c>3716**********0028</c>. The birth date and the
/// county in between are hidden. Other lengths (a 15-digit first-generation number, a typing mistake) keep
/// proportionally less, and the length is kept so a column of masked numbers still lines up.
/// </remarks>
public static partial class PersonalData
{
    public const char MaskCharacter = '*';

    /// <summary>The masked form of an ID number; empty for null or empty.</summary>
    public static string MaskNationalId(string? nationalId)
    {
        var value = (nationalId ?? "").Trim();
        // Short values have little to hide behind: the shorter, the less is kept, and under 5 characters nothing.
        var kept = value.Length switch
        {
            >= 12 => 4,
            >= 8 => 2,
            >= 5 => 1,
            _ => 0,
        };
        return string.Concat(value.AsSpan(0, kept), new string(MaskCharacter, value.Length - 2 * kept), value.AsSpan(value.Length - kept));
    }

    /// <summary>
    /// A person's name as shown to anyone who may only confirm it (a certificate's verification): the first character,
    /// the rest one star each (张**). Counted in text elements, so a rare character outside the BMP (𠀀) or a letter
    /// with its combining mark is kept or hidden whole, never split into half a character.
    /// </summary>
    public static string MaskName(string? name)
    {
        var value = (name ?? "").Trim();
        var elements = new System.Globalization.StringInfo(value);
        return elements.LengthInTextElements <= 1
            ? value
            : elements.SubstringByTextElements(0, 1) + new string(MaskCharacter, elements.LengthInTextElements - 1);
    }

    /// <summary>Whether a value has the shape of an ID number (18 characters: 17 digits and a digit or X; or the old 15 digits).</summary>
    public static bool LooksLikeNationalId(string? value) => value is not null && WholeNationalId().IsMatch(value.Trim());

    /// <summary>
    /// A login as it may be shown to someone other than its owner: a teacher's login is their ID number, so one of that
    /// shape is masked; a staff login (<c>district-371602</c>) is shown as it is.
    /// </summary>
    public static string ShownLogin(string login) => LooksLikeNationalId(login) ? MaskNationalId(login) : login;

    /// <summary>Free text (a summary) with every ID-number-shaped run masked.</summary>
    public static string MaskNationalIdsIn(string text) =>
        string.IsNullOrEmpty(text) ? text : NationalIdInText().Replace(text, m => MaskNationalId(m.Value));

    [GeneratedRegex(@"^(\d{17}[\dXx]|\d{15})$", RegexOptions.CultureInvariant)]
    private static partial Regex WholeNationalId();

    // Not inside a longer run of digits (a 20-digit code is not an ID number).
    [GeneratedRegex(@"(?<![\dA-Za-z])(\d{17}[\dXx]|\d{15})(?![\dA-Za-z])", RegexOptions.CultureInvariant)]
    private static partial Regex NationalIdInText();
}
