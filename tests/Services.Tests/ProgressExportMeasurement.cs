using System.Diagnostics;
using System.Net.Http.Headers;
using Dapper;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Enrollment;
using TrainingPlatform.Services.Enrollment.Electives;
using TrainingPlatform.Services.Enrollment.Reports;
using TrainingPlatform.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace TrainingPlatform.Services.Tests;

/// <summary>Runs only when MEASURE_EXPORT=1: a measurement for the closing note, not a test of behaviour.</summary>
public sealed class MeasurementFactAttribute : FactAttribute
{
    public MeasurementFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("MEASURE_EXPORT") != "1")
        {
            Skip = "a measurement: set MEASURE_EXPORT=1 to run it";
        }
    }
}

/// <summary>
/// Issue 17's export figure: 100,000 tallies exported (1) streamed through the endpoint, (2) by the in-memory writer it
/// replaced (Open XML SDK into a MemoryStream, then sent), each timed to its last byte with the process's peak
/// growth of working set and managed heap sampled while it runs, and the bytes it allocated. Prints; asserts only
/// that each produced a file.
/// </summary>
public sealed class ProgressExportMeasurement(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Teachers = 100_000;
    private readonly TestTokens _tokens = new();
    private ServiceFactory<EnrollmentApi> _enrollment = null!;
    private readonly string _tag = Guid.NewGuid().ToString("N")[..6];
    private string Year => "M" + _tag;
    private string City => "MC" + _tag;

    public async Task InitializeAsync()
    {
        _enrollment = await ServiceFactory<EnrollmentApi>.CreateAsync(await TestServers.GetAsync(), _tokens, EnrollmentApi.DatabaseName);
        await using var connection = await Db.OpenConnectionAsync();
        var today = ProvinceCalendar.Today(TimeProvider.System);
        var year = Guid.NewGuid();
        await connection.ExecuteAsync("""
            insert into organisations (id, code, name, kind, path, updated_at) values (gen_random_uuid(), @City, '测量市', 'city', @City, now());
            insert into organisations (id, code, name, kind, path, updated_at)
            select gen_random_uuid(), @City || 'S' || s, '第' || s || '小学', 'school', @City || '/' || @City || 'S' || s, now() from generate_series(1, 200) s;
            insert into program_years (id, code, name, min_annual_hours, min_elective_hours, group_lists_due, topic_selection_opens,
                topic_selection_closes, course_selection_opens, study_starts, required_study_ends, credit_registration_closes, version)
            values (@Id, @Code, @Code, 36, 14, @Opens, @Opens, @Opens, @Opens, @Starts, @Ends, @Ends, 1);
            insert into progress_tallies (teacher_id, program_year_id, school_path, name, stage, subject, in_post, required_hours, elective_hours,
                                          hours_done, started, opted_out, opt_out_statement, updated_at)
            select gen_random_uuid(), @Id, @City || '/' || @City || 'S' || (1 + i % 200), '教师' || lpad(i::text, 6, '0'), 'primary', '数学', true,
                   22, (i % 5) * 4, (i % 40), i % 7 <> 0, i % 97 = 0, case when i % 97 = 0 then 'BZS-' || i end, now()
            from generate_series(1, @Teachers) i;
            analyze progress_tallies;
            """, new { City, Id = year, Code = Year, Opens = today.AddDays(-80), Starts = today.AddDays(-48), Ends = today.AddDays(48), Teachers });
    }

    public async Task DisposeAsync() => await _enrollment.DisposeAsync();

    private NpgsqlDataSource Db => _enrollment.Services.GetRequiredService<NpgsqlDataSource>();

    [MeasurementFact]
    public async Task Streamed_export_of_100000_rows_against_the_in_memory_one()
    {
        var client = _enrollment.CreateClient();
        client.Timeout = TimeSpan.FromMinutes(5);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _tokens.Issue(Roles.DistrictAdmin,
            claims: new Dictionary<string, object> { ["org"] = Guid.NewGuid().ToString(), ["org_path"] = City }));

        // A warm-up of each (JIT, connections), then the measured runs, streamed first so the other's garbage is not counted.
        await StreamedAsync(client);
        await InMemoryAsync();
        for (var run = 1; run <= 2; run++)
        {
            var streamed = await MeasureAsync(() => StreamedAsync(client));
            var inMemory = await MeasureAsync(InMemoryAsync);
            output.WriteLine($"run {run}: streamed  {streamed}");
            output.WriteLine($"run {run}: in-memory {inMemory}");
            Console.WriteLine($"[export-measure] run {run}: streamed  {streamed}");
            Console.WriteLine($"[export-measure] run {run}: in-memory {inMemory}");
        }
    }

    private async Task<long> StreamedAsync(HttpClient client)
    {
        using var response = await client.GetAsync($"/api/enrollment/years/{Year}/teachers/export", HttpCompletionOption.ResponseHeadersRead);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[81920];
        long bytes = 0;
        for (int read; (read = await body.ReadAsync(buffer)) > 0;)
        {
            bytes += read;
        }
        Assert.True(bytes > 1_000_000);
        return bytes;
    }

    /// <summary>The writer this change replaced (TeacherProgressSheet before issue 17), over the same tallies.</summary>
    private async Task<long> InMemoryAsync()
    {
        await using var connection = await Db.OpenConnectionAsync();
        var year = (await EnrollmentFacts.YearAsync(connection, Year, CancellationToken.None))!;
        var scope = new ReportScope(year, ProvinceCalendar.Today(TimeProvider.System), City, null);
        var output = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(output, SpreadsheetDocumentType.Workbook))
        {
            var workbook = document.AddWorkbookPart();
            workbook.AddNewPart<WorkbookStylesPart>().Stylesheet = new Stylesheet(
                new Fonts(new Font(), new Font(new Bold())),
                new Fills(new Fill(new PatternFill { PatternType = PatternValues.None }), new Fill(new PatternFill { PatternType = PatternValues.Gray125 })),
                new Borders(new Border()),
                new CellFormats(new CellFormat(), new CellFormat { FontId = 1, ApplyFont = true }));
            var sheet = workbook.AddNewPart<WorksheetPart>();
            using (var writer = OpenXmlWriter.Create(sheet))
            {
                writer.WriteStartElement(new Worksheet());
                writer.WriteStartElement(new SheetData());
                writer.WriteElement(new Row(TeacherProgressSheet.Headers.Select(h => Text(h, 1))) { RowIndex = 1 });
                uint r = 1;
                await foreach (var row in ProgressTallyStore.StreamAsync(connection, scope, null, CancellationToken.None))
                {
                    var verdict = scope.Assess(row);
                    writer.WriteElement(new Row(
                        Text(row.Name), Text(row.SchoolName.Length > 0 ? row.SchoolName : row.SchoolCode), Text(row.SchoolCode),
                        Text(StageNames.Names.GetValueOrDefault(row.Stage, row.Stage)), Text(row.Subject),
                        Number(row.RequiredHours), Number(row.ElectiveHours), Number(row.HoursDone),
                        Number(TeacherProgressSheet.PercentOfMinimum(scope.Year, row.HoursDone)),
                        Text(ProgressStatuses.Names[verdict.Status]), Text(verdict.Reason)) { RowIndex = ++r });
                }
                writer.WriteEndElement();
                writer.WriteEndElement();
            }
            workbook.Workbook = new Workbook(new Sheets(new Sheet { Id = workbook.GetIdOfPart(sheet), SheetId = 1, Name = "sheet" }));
        }
        output.Position = 0;
        await output.CopyToAsync(Stream.Null);
        return output.Length;
    }

    private static Cell Text(string value, uint style = 0) =>
        new(new InlineString(new Text(value) { Space = SpaceProcessingModeValues.Preserve }))
        {
            DataType = CellValues.InlineString, StyleIndex = style == 0 ? null : (UInt32Value)style,
        };

    private static Cell Number(decimal value) => new(new CellValue(value));

    private static async Task<string> MeasureAsync(Func<Task<long>> export)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var workingSet = process.WorkingSet64;
        var heap = GC.GetTotalMemory(false);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        long peakWorkingSet = workingSet, peakHeap = heap;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                process.Refresh();
                peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
                peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
                await Task.Delay(10);
            }
        });
        var clock = Stopwatch.StartNew();
        var bytes = await export();
        clock.Stop();
        await stop.CancelAsync();
        await sampler;
        return $"{clock.Elapsed.TotalSeconds:0.00} s, file {bytes / 1e6:0.0} MB, peak working set +{(peakWorkingSet - workingSet) / 1e6:0} MB, " +
               $"peak managed heap +{(peakHeap - heap) / 1e6:0} MB, allocated {(GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1e6:0} MB";
    }
}
