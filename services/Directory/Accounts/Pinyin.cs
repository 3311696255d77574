using System.Text;

namespace TrainingPlatform.Services.Directory.Accounts;

/// <summary>
/// Whether what was typed is the full pinyin of a name: the province's convention for a teacher's first sign-in
/// (张三 → zhangsan). Pure; the readings come from the embedded table that scripts/generate-pinyin-table.py makes
/// from Unicode's Unihan data (every dictionary reading, so a polyphonic surname such as 曾 zeng or 单 shan matches).
/// </summary>
/// <remarks>
/// <para>Both sides are compared case-insensitively, without tones and after compatibility folding (full-width
/// letters count as ASCII); ü may be typed v or u (吕 lv or lu).</para>
/// <para>Only letters and digits count: spaces, apostrophes, the middle dot of minority names (阿依古丽·买买提) and
/// any other punctuation are ignored, in the name and in what is typed.</para>
/// <para>Every Han character of the name must be matched, in order, by one of its readings. A letter or digit of
/// the name that is not Han (a Latin letter, say) must be typed as it is. A Han character the table does not know
/// (outside CJK Unified Ideographs and Extension A) cannot be spelled, so such a name never matches: that teacher
/// signs in with a one-time password from the school.</para>
/// <para>The match is a dynamic programme over positions in the typed text, one step per name character, so a name
/// of many polyphonic characters costs (characters × typed length × readings), never the product of readings.</para>
/// </remarks>
public static class Pinyin
{
    private const string ResourceName = "TrainingPlatform.Directory.PinyinReadings";

    private static readonly Lazy<(Dictionary<int, string[]> Readings, int LongestReading)> Table = new(Load);

    public static bool Matches(string? name, string? typed)
    {
        if (string.IsNullOrWhiteSpace(name) || string.IsNullOrWhiteSpace(typed) || !TrySpell(name, out var characters) || characters.Count == 0)
        {
            return false;
        }
        return Spells(characters, string.Concat(Fold(typed).Select(r => r.ToString())));
    }

    /// <summary>
    /// Whether the letters of what was typed spell the name in any of the ways people make a password of it: full
    /// pinyin, initials or a mix (zhangsan, zs, zhangs), the given name first (sanzhang), in any case, with digits
    /// and punctuation anywhere (Zhangsan@2024, zs123456). For the password rules, not for signing in.
    /// </summary>
    public static bool MatchesAnyForm(string? name, string? typed)
    {
        if (string.IsNullOrWhiteSpace(name) || string.IsNullOrWhiteSpace(typed) || !TrySpell(name, out var characters) || characters.Count == 0)
        {
            return false;
        }
        var letters = string.Concat(Fold(typed).Where(r => !Rune.IsDigit(r)).Select(r => r.ToString()));
        if (letters.Length == 0)
        {
            return false;
        }
        // Each character may be typed as a whole reading or as its first letter.
        var spellings = characters.Select(readings => readings.Concat(readings.Select(r => r[..1])).Distinct().ToArray()).ToList();
        return Spells(spellings, letters) || (spellings.Count > 1 && Spells([.. spellings.Skip(1), spellings[0]], letters));
    }

    private static bool Spells(IReadOnlyList<string[]> characters, string text)
    {
        if (text.Length == 0 || text.Length > characters.Count * Table.Value.LongestReading)
        {
            return false;
        }

        // reachable[i]: the first i typed characters spell the name's characters matched so far.
        var reachable = new bool[text.Length + 1];
        reachable[0] = true;
        foreach (var readings in characters)
        {
            var next = new bool[text.Length + 1];
            var any = false;
            for (var i = 0; i < reachable.Length; i++)
            {
                if (!reachable[i])
                {
                    continue;
                }
                foreach (var reading in readings)
                {
                    if (text.AsSpan(i).StartsWith(reading, StringComparison.Ordinal))
                    {
                        next[i + reading.Length] = any = true;
                    }
                }
            }
            if (!any)
            {
                return false;
            }
            reachable = next;
        }
        return reachable[text.Length];
    }

    /// <summary>The possible spellings of each letter or digit of the name; false when a Han character has no known reading.</summary>
    private static bool TrySpell(string name, out List<string[]> characters)
    {
        characters = [];
        foreach (var rune in Fold(name))
        {
            if (Table.Value.Readings.TryGetValue(rune.Value, out var readings))
            {
                characters.Add(readings);
            }
            else if (IsHan(rune))
            {
                return false;
            }
            else
            {
                characters.Add([rune.ToString()]);
            }
        }
        return true;
    }

    /// <summary>The letters, digits and Han characters of a text, lower case, compatibility-folded, without tone marks; ü as v.</summary>
    private static List<Rune> Fold(string text)
    {
        var folded = new List<Rune>(text.Length);
        foreach (var rune in text.Normalize(NormalizationForm.FormKD).EnumerateRunes())
        {
            if (rune.Value == 0x0308 && folded.Count > 0 && folded[^1].Value == 'u')
            {
                folded[^1] = new Rune('v'); // ü, decomposed
            }
            else if (Rune.IsLetterOrDigit(rune) || IsHan(rune))
            {
                folded.Add(Rune.ToLowerInvariant(rune));
            }
            // everything else is ignored: tone marks, spaces, apostrophes, middle dots, any punctuation
        }
        return folded;
    }

    /// <summary>CJK ideographs of every block, whether or not the table knows them.</summary>
    private static bool IsHan(Rune rune) => rune.Value is >= 0x2E80 and <= 0x2FDF or 0x3005 or 0x3007 or >= 0x3021 and <= 0x3029
        or >= 0x3400 and <= 0x4DBF or >= 0x4E00 and <= 0x9FFF or >= 0xF900 and <= 0xFAFF or >= 0x20000 and <= 0x3FFFF;

    private static (Dictionary<int, string[]>, int) Load()
    {
        using var stream = typeof(Pinyin).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var readings = new Dictionary<int, List<string>>(32_768);
        var longest = 1;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            var reading = line[..tab];
            longest = Math.Max(longest, reading.Length);
            // ü is written v in the table; u is accepted for it too (吕 lv or lu, 略 lve or lue).
            string[] spellings = reading.Contains('v', StringComparison.Ordinal) ? [reading, reading.Replace('v', 'u')] : [reading];
            foreach (var rune in line.AsSpan(tab + 1).EnumerateRunes())
            {
                if (!readings.TryGetValue(rune.Value, out var list))
                {
                    readings[rune.Value] = list = [];
                }
                list.AddRange(spellings);
            }
        }
        return (readings.ToDictionary(p => p.Key, p => p.Value.Distinct().ToArray()), longest);
    }
}
