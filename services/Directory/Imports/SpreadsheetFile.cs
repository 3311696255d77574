using System.IO.Compression;

namespace TrainingPlatform.Services.Directory.Imports;

/// <summary>
/// An uploaded sheet as rows of text with their line numbers: CSV, XLSX, or either gzip-compressed (a province's
/// million-row CSV is about 90 MB, a few MB compressed).
/// </summary>
public static class SpreadsheetFile
{
    public static IReadOnlyList<(int Line, IReadOnlyList<string> Fields)> Read(byte[] content, string fileName)
    {
        if (IsGzip(content))
        {
            return Read(Decompress(content), fileName);
        }
        return IsXlsx(content) ? Xlsx.Read(content) : Csv.Parse(Csv.Decode(content));
    }

    /// <summary>
    /// A cheap look at an upload before it is queued: null when it looks like a sheet we can read, otherwise why not.
    /// The full check of every row happens in the import itself.
    /// </summary>
    public static string? Probe(byte[] content, IReadOnlyCollection<string> expectedHeaders)
    {
        if (IsGzip(content))
        {
            try
            {
                using var gzip = new GZipStream(new MemoryStream(content), CompressionMode.Decompress);
                var start = new byte[64 * 1024];
                var read = gzip.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
                return Probe(start[..read], expectedHeaders);
            }
            catch (InvalidDataException)
            {
                return "压缩文件已损坏，无法解压";
            }
        }
        if (IsXlsx(content))
        {
            return null;
        }
        // Text: the first line must be a header row with at least one column we know.
        var head = content.AsSpan(0, Math.Min(content.Length, 8 * 1024));
        if (head.Contains((byte)0))
        {
            return "文件不是 CSV 或 XLSX 表格";
        }
        // Only whole lines are decoded: a multi-byte character cut in half would look like another encoding.
        var newline = head.IndexOf((byte)'\n');
        var firstLine = Csv.Decode((newline >= 0 ? head[..newline] : head).ToArray());
        return expectedHeaders.Any(h => firstLine.Contains(h, StringComparison.Ordinal))
            ? null
            : $"第一行应为表头，包含 {string.Join("、", expectedHeaders.Take(5))} 等列";
    }

    private static bool IsGzip(byte[] content) => content.Length > 2 && content[0] == 0x1f && content[1] == 0x8b;

    // XLSX is a zip archive: "PK\x03\x04".
    private static bool IsXlsx(byte[] content) =>
        content.Length > 4 && content[0] == 'P' && content[1] == 'K' && content[2] == 3 && content[3] == 4;

    private static byte[] Decompress(byte[] content)
    {
        using var gzip = new GZipStream(new MemoryStream(content), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }
}
