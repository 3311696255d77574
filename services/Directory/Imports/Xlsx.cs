using System.Globalization;
using ClosedXML.Excel;

namespace TrainingPlatform.Services.Directory.Imports;

/// <summary>The first worksheet of an XLSX workbook as rows of text, and a simple one-sheet export.</summary>
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

    public static byte[] Write(string sheetName, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<object?>> rows)
    {
        using var workbook = new XLWorkbook();
        var sheet = workbook.Worksheets.Add(sheetName);
        for (var c = 0; c < headers.Count; c++)
        {
            sheet.Cell(1, c + 1).Value = headers[c];
            sheet.Cell(1, c + 1).Style.Font.Bold = true;
        }
        var r = 2;
        foreach (var row in rows)
        {
            for (var c = 0; c < row.Count; c++)
            {
                var cell = sheet.Cell(r, c + 1);
                switch (row[c])
                {
                    case null:
                        break;
                    case DateOnly date:
                        cell.Value = date.ToDateTime(TimeOnly.MinValue);
                        cell.Style.DateFormat.Format = "yyyy-mm-dd";
                        break;
                    case int number:
                        cell.Value = number;
                        break;
                    default:
                        // Text, always: an 18-digit ID number must never become a rounded number.
                        cell.SetValue(Convert.ToString(row[c], CultureInfo.InvariantCulture) ?? "");
                        cell.DataType = XLDataType.Text;
                        break;
                }
            }
            r++;
        }
        sheet.SheetView.FreezeRows(1);
        using var stream = new MemoryStream();
        workbook.SaveAs(stream);
        return stream.ToArray();
    }

    private static string Text(IXLCell cell) => cell.DataType switch
    {
        XLDataType.DateTime => cell.GetDateTime().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        XLDataType.Number => cell.GetDouble().ToString("0.################", CultureInfo.InvariantCulture),
        XLDataType.Boolean => cell.GetBoolean() ? "是" : "否",
        _ => cell.GetString().Trim(),
    };
}
