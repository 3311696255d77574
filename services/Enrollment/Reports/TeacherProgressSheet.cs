using ClosedXML.Excel;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Services.Enrollment.Electives;

namespace TrainingPlatform.Services.Enrollment.Reports;

/// <summary>
/// The teachers' progress as an XLSX sheet, one row a teacher, Chinese headers. Rows are read from the database as they
/// are written (never a list of them all), and the workbook is saved to a temporary file that is streamed to the caller
/// and deleted when the response is done. ClosedXML still holds the workbook in memory while it is built: about
/// 1.5 KB a row, so a county or city of 100,000 teachers is fine; a whole province at once is not what this is for.
/// </summary>
public static class TeacherProgressSheet
{
    public const string ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    public static readonly IReadOnlyList<string> Headers =
        ["姓名", "学校", "学校代码", "学段", "学科", "必修学时", "选修学时", "已完成学时", "完成比例(%)", "状态", "原因"];

    private static readonly IReadOnlyDictionary<string, string> StageNames = new Dictionary<string, string>
    {
        [Stages.Kindergarten] = "幼儿园", [Stages.Primary] = "小学", [Stages.Junior] = "初中", [Stages.Senior] = "高中",
    };

    /// <summary>Hours done as a percentage of the year's minimum, to one decimal (100 when the minimum is 0).</summary>
    public static decimal PercentOfMinimum(YearRow year, decimal hoursDone) =>
        year.MinAnnualHours <= 0 ? 100 : Math.Round(hoursDone * 100 / year.MinAnnualHours, 1, MidpointRounding.AwayFromZero);

    /// <summary>Writes the sheet to a temporary file, deleted when the returned stream is closed.</summary>
    public static async Task<Stream> WriteAsync(ReportScope scope, IAsyncEnumerable<TeacherYearRow> rows, CancellationToken cancellationToken)
    {
        using var workbook = new XLWorkbook();
        var sheet = workbook.Worksheets.Add($"{scope.Year.Code}年度学习进度");
        for (var c = 0; c < Headers.Count; c++)
        {
            sheet.Cell(1, c + 1).SetValue(Headers[c]);
        }
        sheet.Row(1).Style.Font.Bold = true;

        var r = 1;
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            r++;
            var verdict = scope.Assess(row);
            Text(sheet.Cell(r, 1), row.Name);
            Text(sheet.Cell(r, 2), row.SchoolName.Length > 0 ? row.SchoolName : row.SchoolCode);
            Text(sheet.Cell(r, 3), row.SchoolCode);
            Text(sheet.Cell(r, 4), StageNames.GetValueOrDefault(row.Stage, row.Stage));
            Text(sheet.Cell(r, 5), row.Subject);
            sheet.Cell(r, 6).SetValue(row.RequiredHours);
            sheet.Cell(r, 7).SetValue(row.ElectiveHours);
            sheet.Cell(r, 8).SetValue(row.HoursDone);
            sheet.Cell(r, 9).SetValue(PercentOfMinimum(scope.Year, row.HoursDone));
            Text(sheet.Cell(r, 10), ProgressStatus.ChineseNames[verdict.Status]);
            Text(sheet.Cell(r, 11), verdict.Reason);
        }
        sheet.SheetView.FreezeRows(1);
        sheet.Columns(1, 5).Width = 14;
        sheet.Column(11).Width = 60;

        var file = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 64 * 1024,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            workbook.SaveAs(file);
            file.Position = 0;
            return file;
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    // Text, always: a code of digits must not turn into a number, nor a name into a formula.
    private static void Text(IXLCell cell, string value)
    {
        cell.SetValue(value);
        cell.DataType = XLDataType.Text;
    }
}
