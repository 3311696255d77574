using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Enrollment.Electives;

namespace TrainingPlatform.Services.Enrollment.Reports;

/// <summary>
/// The teachers' progress as an XLSX sheet, one row a teacher, Chinese headers. Each row is written (OpenXmlWriter) as
/// it comes from the database, never a list of them all nor a cell object model: ClosedXML, which the Directory export
/// uses, allocated over a gigabyte and took 20 s for 50,000 rows here. What stays in memory is the sheet's XML, which
/// the zip package keeps uncompressed until it saves (about 0.5 KB a teacher, some 25 MB for a city of 50,000), and
/// then the finished file (about 40 bytes a teacher), which is streamed to the caller.
/// </summary>
public static class TeacherProgressSheet
{
    public const string ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    public static readonly IReadOnlyList<string> Headers =
        ["姓名", "学校", "学校代码", "学段", "学科", "必修学时", "选修学时", "已完成学时", "完成比例(%)", "状态", "原因"];

    private const uint BoldStyle = 1;

    /// <summary>Hours done as a percentage of the year's minimum, to one decimal (100 when the minimum is 0).</summary>
    public static decimal PercentOfMinimum(YearRow year, decimal hoursDone) =>
        year.MinAnnualHours <= 0 ? 100 : Math.Round(hoursDone * 100 / year.MinAnnualHours, 1, MidpointRounding.AwayFromZero);

    /// <summary>
    /// The most rows one export writes: about 100 MB of sheet XML held while it is zipped. A province is exported
    /// city by city or county by county.
    /// </summary>
    public const int MaxRows = 200_000;

    /// <summary>The workbook, ready to stream from its start; null when there are more than <see cref="MaxRows"/> rows.</summary>
    public static async Task<Stream?> WriteAsync(ReportScope scope, IAsyncEnumerable<TeacherYearRow> rows, CancellationToken cancellationToken)
    {
        var output = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(output, SpreadsheetDocumentType.Workbook))
        {
            var workbook = document.AddWorkbookPart();
            workbook.AddNewPart<WorkbookStylesPart>().Stylesheet = Styles();
            var sheet = workbook.AddNewPart<WorksheetPart>();
            using (var writer = OpenXmlWriter.Create(sheet))
            {
                writer.WriteStartElement(new Worksheet());
                writer.WriteElement(new SheetViews(new SheetView(
                    new Pane { VerticalSplit = 1, TopLeftCell = "A2", ActivePane = PaneValues.BottomLeft, State = PaneStateValues.Frozen })
                {
                    TabSelected = true, WorkbookViewId = 0,
                }));
                writer.WriteElement(new Columns(
                    new Column { Min = 1, Max = 5, Width = 14, CustomWidth = true },
                    new Column { Min = 11, Max = 11, Width = 60, CustomWidth = true }));
                writer.WriteStartElement(new SheetData());
                writer.WriteElement(new Row(Headers.Select(h => Text(h, BoldStyle))) { RowIndex = 1 });
                uint r = 1;
                await foreach (var row in rows.WithCancellation(cancellationToken))
                {
                    if (row.Total > MaxRows)
                    {
                        return null; // known from the first row, before anything is written
                    }
                    var verdict = scope.Assess(row);
                    writer.WriteElement(new Row(
                        Text(row.Name),
                        Text(row.SchoolName.Length > 0 ? row.SchoolName : row.SchoolCode),
                        Text(row.SchoolCode),
                        Text(StageNames.Names.GetValueOrDefault(row.Stage, row.Stage)),
                        Text(row.Subject),
                        Number(row.RequiredHours),
                        Number(row.ElectiveHours),
                        Number(row.HoursDone),
                        Number(PercentOfMinimum(scope.Year, row.HoursDone)),
                        Text(ProgressStatuses.Names[verdict.Status]),
                        Text(verdict.Reason)) { RowIndex = ++r });
                }
                writer.WriteEndElement();
                writer.WriteEndElement();
            }
            workbook.Workbook = new Workbook(new Sheets(new Sheet
            {
                Id = workbook.GetIdOfPart(sheet), SheetId = 1, Name = $"{scope.Year.Code}年度学习进度",
            }));
        }
        output.Position = 0;
        return output;
    }

    // Text, always, written inline: a code of digits must not turn into a number, nor a name into a formula.
    private static Cell Text(string value, uint style = 0) =>
        new(new InlineString(new Text(value) { Space = SpaceProcessingModeValues.Preserve })) { DataType = CellValues.InlineString, StyleIndex = style == 0 ? null : (UInt32Value)style };

    private static Cell Number(decimal value) => new(new CellValue(value));

    /// <summary>The least a stylesheet must hold (a font, the two reserved fills, a border), plus bold for the header.</summary>
    private static Stylesheet Styles() => new(
        new Fonts(new Font(), new Font(new Bold())),
        new Fills(new Fill(new PatternFill { PatternType = PatternValues.None }), new Fill(new PatternFill { PatternType = PatternValues.Gray125 })),
        new Borders(new Border()),
        new CellFormats(new CellFormat(), new CellFormat { FontId = 1, ApplyFont = true }));
}
