using System.Buffers.Text;
using System.Text;

namespace TrainingPlatform.Services.Enrollment.Reports;

/// <summary>
/// Where a page of teachers ended — the last row's school path, name and id, the list's order — handed to the caller
/// as an opaque <c>next</c> and back as <c>after</c>, so the next page starts there through the index instead of
/// counting past every row before it (OFFSET).
/// </summary>
public sealed record PageCursor(string SchoolPath, string Name, Guid Id)
{
    public const int MaxLength = 1000;

    private const char Separator = '\u001f';

    public static string Format(TeacherYearRow row) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{row.SchoolPath}{Separator}{row.Name}{Separator}{row.Id:N}"));

    /// <summary>The cursor <paramref name="text"/> holds; null when absent or not one this service gave out.</summary>
    public static PageCursor? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > MaxLength || !Base64Url.IsValid(text))
        {
            return null;
        }
        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Base64Url.DecodeFromChars(text));
        }
        catch (Exception exception) when (exception is FormatException or DecoderFallbackException)
        {
            return null;
        }
        var parts = decoded.Split(Separator);
        return parts.Length == 3 && Guid.TryParseExact(parts[2], "N", out var id) ? new PageCursor(parts[0], parts[1], id) : null;
    }
}
