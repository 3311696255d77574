using System.Globalization;
using ClosedXML.Excel;

namespace TrainingPlatform.Services.Directory.Imports;

/// <summary>The first worksheet of an XLSX workbook as rows of text (writing is the building blocks' <c>XlsxSheet</c>).</summary>
public static class Xlsx
{
    public static IReadOnlyList<(int Line, IReadOnlyList<string> Fields)> Read(byte[] content)
    {
        using var stream = new MemoryStream(content);
        using var workbook = new XLWorkbook(stream);
        var sheet = workbook.Worksheets.First();
        var used = sheet.RangeUsed();
        if (used is null)
        {
            return [];
        }
        var lastColumn = used.LastColumn().ColumnNumber();
        var rows = new List<(int, IReadOnlyList<string>)>();
        foreach (var row in used.Rows())
        {
            var fields = Enumerable.Range(1, lastColumn).Select(c => Text(row.WorksheetRow().Cell(c))).ToList();
            if (fields.Any(f => f.Length > 0))
            {
                rows.Add((row.RowNumber(), fields));
            }
        }
        return rows;
    }

    private static string Text(IXLCell cell) => cell.DataType switch
    {
        XLDataType.DateTime => cell.GetDateTime().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        XLDataType.Number => cell.GetDouble().ToString("0.################", CultureInfo.InvariantCulture),
        XLDataType.Boolean => cell.GetBoolean() ? "是" : "否",
        _ => cell.GetString().Trim(),
    };
}
