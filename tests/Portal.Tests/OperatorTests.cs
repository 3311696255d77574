using System.Text;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace TrainingPlatform.Portal.Tests;

/// <summary>The operator's desk: a teacher import followed to its per-row errors, and the program year's windows.</summary>
[Collection(PortalCollection.Name)]
public sealed class OperatorTests(PortalPlatform platform)
{
    [Fact]
    public async Task An_operator_uploads_a_teacher_list_sees_its_progress_and_every_bad_row_and_is_told_when_dates_are_out_of_order()
    {
        await using var session = await platform.OpenAsync(nameof(An_operator_uploads_a_teacher_list_sees_its_progress_and_every_bad_row_and_is_told_when_dates_are_out_of_order));
        await session.SignInAsync("operator", platform.DemoPassword);
        await session.GoAsync("/");
        await Expect(session.Main).ToContainTextAsync("学校选专题进度");
        await session.ShotAsync("home");

        await session.GoAsync("/imports");
        var sheet = "身份证号,姓名,学校代码,学段,学科,入职日期,是否师范毕业,是否班主任\n"
                    + "371602199001010011,赵一,371602001,高中,语文,2015-09-01,是,否\n"       // checksum digit wrong
                    + "37160219900101002X,钱二,999999999,高中,数学,2015-09-01,是,否\n";      // no such school
        await session.Page.SetInputFilesAsync("#file", new FilePayload
        {
            Name = "新教师名单.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(sheet),
        });
        var job = session.Main.Locator(".import-job[data-status=failed]");
        await Expect(job).ToContainTextAsync("整份文件未写入", new() { Timeout = 60_000 });
        await Expect(job.Locator(".progress-text")).ToHaveTextAsync("已检查 2 行");
        await Expect(job.Locator("table.row-errors tbody tr")).Not.ToHaveCountAsync(0);
        await Expect(job.Locator("table.row-errors")).ToContainTextAsync("身份证号");
        await session.ShotAsync("import-row-errors");

        // Study may not start before course selection opens: the rule shows beside the date, nothing is saved.
        await session.GoAsync("/operator/program-year");
        var courseOpens = await session.Page.InputValueAsync("#courseSelectionOpens");
        await session.Page.FillAsync("#studyStarts", DateOnly.Parse(courseOpens, System.Globalization.CultureInfo.InvariantCulture).AddDays(-1)
            .ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await session.Main.Locator("button.primary").ClickAsync();
        await Expect(session.Main.Locator(".field-error[data-field='windows.studyStarts']").First).ToBeVisibleAsync();
        await Expect(session.Main.Locator("h2")).ToContainTextAsync("第 1 版");
        await session.ShotAsync("dates-out-of-order");
    }
}
