using System.Globalization;
using System.Text;

namespace TrainingPlatform.Services.Catalog.Courses;

/// <summary>
/// Chinese text as search terms. PostgreSQL has no Chinese word parser (zhparser and pg_jieba are not available to
/// us), and pg_trgm's handling of Han characters depends on the database's locale, so the service tokenises itself,
/// as Lucene's CJK analyser does: every Han character (so one-character searches work) and every pair of neighbouring
/// Han characters (so "班级管理" finds 班级, 级管, 管理 together and ranks the exact phrase first). Latin letters and
/// digits form lower-cased words. The terms go into a tsvector with a GIN index; queries need every term (AND).
/// </summary>
public static class CjkTokens
{
    /// <summary>The terms to index for <paramref name="text"/> (distinct).</summary>
    public static string[] ForIndex(string text)
    {
        var terms = new HashSet<string>(StringComparer.Ordinal);
        foreach (var run in Runs(text))
        {
            if (run.IsHan)
            {
                for (var i = 0; i < run.Text.Length; i++)
                {
                    terms.Add(run.Text[i].ToString());
                    if (i + 1 < run.Text.Length)
                    {
                        terms.Add(run.Text.Substring(i, 2));
                    }
                }
            }
            else
            {
                terms.Add(run.Text);
            }
        }
        return [.. terms];
    }

    /// <summary>
    /// A tsquery for <paramref name="query"/> in PostgreSQL's tsquery syntax (every term required), or null when it
    /// has no searchable characters. Han runs of two or more give their bigrams; a single Han character itself; a
    /// Latin word matches as a prefix.
    /// </summary>
    public static string? ToTsQuery(string query)
    {
        var terms = new List<string>();
        foreach (var run in Runs(query))
        {
            if (!run.IsHan)
            {
                terms.Add(Quote(run.Text) + ":*");
            }
            else if (run.Text.Length == 1)
            {
                terms.Add(Quote(run.Text));
            }
            else
            {
                for (var i = 0; i + 1 < run.Text.Length; i++)
                {
                    terms.Add(Quote(run.Text.Substring(i, 2)));
                }
            }
        }
        return terms.Count == 0 ? null : string.Join(" & ", terms.Distinct(StringComparer.Ordinal));
    }

    private static string Quote(string term) => "'" + term.Replace("'", "''", StringComparison.Ordinal) + "'";

    private readonly record struct Run(string Text, bool IsHan);

    private static IEnumerable<Run> Runs(string text)
    {
        // Full-width letters and digits (ＡＢＣ１２３) become ASCII, as users type either.
        var normalised = text.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        var current = new StringBuilder();
        bool? currentIsHan = null;
        foreach (var c in normalised)
        {
            bool? kind = IsHan(c) ? true : char.IsLetterOrDigit(c) ? false : null;
            if (kind != currentIsHan && current.Length > 0)
            {
                yield return new Run(current.ToString(), currentIsHan!.Value);
                current.Clear();
            }
            currentIsHan = kind;
            if (kind is not null)
            {
                current.Append(c);
            }
        }
        if (current.Length > 0)
        {
            yield return new Run(current.ToString(), currentIsHan!.Value);
        }
    }

    private static bool IsHan(char c) =>
        (c >= '\u4E00' && c <= '\u9FFF') || (c >= '\u3400' && c <= '\u4DBF') || (c >= '\uF900' && c <= '\uFAFF')
        || char.GetUnicodeCategory(c) == UnicodeCategory.OtherLetter && c >= '\u2E80' && c <= '\u2FDF';
}
