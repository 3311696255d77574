using System.Globalization;
using TrainingPlatform.BuildingBlocks.Text;

namespace TrainingPlatform.Services.Directory.Teachers;

/// <summary>
/// A resident identity card number (居民身份证号码, GB 11643-1999): 6-digit area code, 8-digit birth date,
/// 3-digit sequence (odd for men, even for women) and a checksum character (0–9 or X). Birth date and sex are
/// read from it, never typed a second time.
/// </summary>
public sealed record NationalId
{
    private static readonly int[] Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    private const string CheckCharacters = "10X98765432";

    private NationalId(string value, DateOnly birthDate, Sex sex)
    {
        Value = value;
        BirthDate = birthDate;
        Sex = sex;
    }

    public string Value { get; }

    public DateOnly BirthDate { get; }

    public Sex Sex { get; }

    public override string ToString() => Value;

    /// <summary>Parses an ID number; on failure <paramref name="error"/> says why, in Chinese, for the person who typed it.</summary>
    public static bool TryParse(string? input, DateOnly today, out NationalId? id, out string? error)
    {
        id = null;
        var value = (input ?? "").Trim().ToUpperInvariant();
        // A number copied from a list or an ordinary export is masked; said plainly rather than as "not digits".
        if (value.Contains(PersonalData.MaskCharacter))
        {
            error = "身份证号是脱敏显示的号码（含 *），请填写完整号码；如要修改导出的表格后再导入，请导出含完整身份证号的表格";
            return false;
        }
        if (value.Length != 18)
        {
            error = $"身份证号必须是 18 位（当前 {value.Length} 位）";
            return false;
        }
        for (var i = 0; i < 17; i++)
        {
            if (!char.IsAsciiDigit(value[i]))
            {
                error = "身份证号前 17 位必须是数字";
                return false;
            }
        }
        if (!char.IsAsciiDigit(value[17]) && value[17] != 'X')
        {
            error = "身份证号最后一位必须是数字或 X";
            return false;
        }
        if (!DateOnly.TryParseExact(value.AsSpan(6, 8), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var birthDate)
            || birthDate.Year < 1900 || birthDate > today)
        {
            error = $"身份证号中的出生日期 {value.Substring(6, 8)} 不是有效日期";
            return false;
        }
        var expected = CheckCharacter(value.AsSpan(0, 17));
        if (value[17] != expected)
        {
            error = $"身份证号校验位错误：应为 {expected}";
            return false;
        }

        var sex = (value[16] - '0') % 2 == 1 ? Sex.Male : Sex.Female;
        id = new NationalId(value, birthDate, sex);
        error = null;
        return true;
    }

    /// <summary>The checksum character for the first 17 digits (ISO 7064 MOD 11-2).</summary>
    public static char CheckCharacter(ReadOnlySpan<char> first17)
    {
        var sum = 0;
        for (var i = 0; i < 17; i++)
        {
            sum += (first17[i] - '0') * Weights[i];
        }
        return CheckCharacters[sum % 11];
    }
}

public enum Sex
{
    Male,
    Female,
}
