using System.Globalization;
using ClosedXML.Excel;
using Microsoft.AspNetCore.Http;

namespace TrainingPlatform.BuildingBlocks.Spreadsheets;

/// <summary>
/// One-sheet XLSX exports, as bureaus keep their lists: a bold, frozen header row of Chinese column names, then one
/// row per record. Built in memory (ClosedXML), which is fine up to about a hundred thousand rows.
/// </summary>
public static class XlsxSheet
{
    public const string ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    public static IResult File(string fileName, string sheetName, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<object?>> rows) =>
        TypedResults.File(Write(sheetName, headers, rows), ContentType, fileName);

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
                    case long number:
                        cell.Value = number;
                        break;
                    case decimal number:
                        cell.Value = number;
                        break;
                    default:
                        // Text, always: an 18-digit ID number must never become a rounded number.
                        cell.SetValue(Cell(Convert.ToString(row[c], CultureInfo.InvariantCulture) ?? ""));
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

    /// <summary>
    /// Text as a cell can hold it: an XLSX is XML, which cannot hold control characters or lone surrogates, and an
    /// exported field may quote whatever a caller once typed. Those become U+FFFD, and a cell keeps at most 32,767
    /// characters; the record itself keeps what it had.
    /// </summary>
    internal static string Cell(string text)
    {
        // Nearly every text is clean: then it is kept as it is, without a copy (a streamed export writes millions).
        if (text.Length <= 32_000 && IsClean(text))
        {
            return text;
        }
        var cleaned = new System.Text.StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (i + 1 < text.Length && System.Xml.XmlConvert.IsXmlSurrogatePair(text[i + 1], text[i]))
            {
                cleaned.Append(text, i, 2);
                i++;
            }
            else
            {
                cleaned.Append(System.Xml.XmlConvert.IsXmlChar(text[i]) ? text[i] : '\uFFFD');
            }
        }
        return cleaned.Length > 32_000 ? cleaned.ToString(0, 32_000) + "…" : cleaned.ToString();
    }

    private static bool IsClean(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (System.Xml.XmlConvert.IsXmlChar(text[i]))
            {
                continue;
            }
            if (i + 1 < text.Length && System.Xml.XmlConvert.IsXmlSurrogatePair(text[i + 1], text[i]))
            {
                i++;
                continue;
            }
            return false;
        }
        return true;
    }
}
