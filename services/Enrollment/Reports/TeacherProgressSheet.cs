using TrainingPlatform.BuildingBlocks.Spreadsheets;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Enrollment.Electives;

namespace TrainingPlatform.Services.Enrollment.Reports;

/// <summary>
/// The teachers' progress as an XLSX sheet, one row a teacher, Chinese headers, written by <see cref="StreamingXlsx"/>
/// as the tallies are read: each row goes to the output (the response, or a background export's chunks) as it comes
/// from the database, so memory stays flat whatever the size — the in-memory writer it replaced (Open XML SDK) held the
/// sheet's uncompressed XML until it saved, about 0.5 KB a teacher.
/// </summary>
public static class TeacherProgressSheet
{
    public const string ContentType = StreamingXlsx.ContentType;

    public static readonly IReadOnlyList<string> Headers =
        ["姓名", "学校", "学校代码", "学段", "学科", "必修学时", "选修学时", "已完成学时", "完成比例(%)", "状态", "原因"];

    private static readonly (int, double)[] Widths = [(1, 14), (2, 14), (3, 14), (4, 14), (5, 14), (11, 60)];

    /// <summary>Hours done as a percentage of the year's minimum, to one decimal (100 when the minimum is 0).</summary>
    public static decimal PercentOfMinimum(YearRow year, decimal hoursDone) =>
        year.MinAnnualHours <= 0 ? 100 : Math.Round(hoursDone * 100 / year.MinAnnualHours, 1, MidpointRounding.AwayFromZero);

    /// <summary>
    /// The most rows written straight to a response. Memory no longer limits it (the sheet streams); time does: about
    /// 200,000 rows is what streams in well under a minute, inside the gateway's and browsers' patience. Larger scopes
    /// (a big city, the province) ask for a background export (<see cref="ProgressExportEndpoints"/>), which has no limit.
    /// </summary>
    public const int MaxRows = 200_000;

    /// <summary>How often a background export reports its progress, in rows.</summary>
    public const int ProgressEvery = 5_000;

    public static string SheetName(ReportScope scope) => $"{scope.Year.Code}年度学习进度";

    /// <summary>
    /// Writes the workbook to <paramref name="output"/> row by row; <paramref name="progress"/> (if any) hears the rows
    /// written every <see cref="ProgressEvery"/> rows. Returns the number of rows.
    /// </summary>
    public static async Task<int> WriteAsync(Stream output, ReportScope scope, IAsyncEnumerable<TeacherYearRow> rows, CancellationToken cancellationToken,
        Func<int, Task>? progress = null)
    {
        await using var sheet = await StreamingXlsx.StartAsync(output, SheetName(scope), Headers, cancellationToken, Widths);
        var cells = new object?[Headers.Count];
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            var verdict = scope.Assess(row);
            cells[0] = row.Name;
            cells[1] = row.SchoolName.Length > 0 ? row.SchoolName : row.SchoolCode;
            cells[2] = row.SchoolCode;
            cells[3] = StageNames.Names.GetValueOrDefault(row.Stage, row.Stage);
            cells[4] = row.Subject;
            cells[5] = row.RequiredHours;
            cells[6] = row.ElectiveHours;
            cells[7] = row.HoursDone;
            cells[8] = PercentOfMinimum(scope.Year, row.HoursDone);
            cells[9] = ProgressStatuses.Names[verdict.Status];
            cells[10] = verdict.Reason;
            await sheet.WriteRowAsync(cells);
            if (progress is not null && sheet.Rows % ProgressEvery == 0)
            {
                await progress(sheet.Rows);
            }
        }
        await sheet.CompleteAsync();
        return sheet.Rows;
    }

    public static string FileName(ReportScope scope, string? status) =>
        $"teachers-{scope.Year.Code}-{scope.Organisation?.Code ?? "all"}{(status is null ? "" : "-" + status)}.xlsx";
}
