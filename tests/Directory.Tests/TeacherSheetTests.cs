using TrainingPlatform.Services.Directory.Imports;
using Xunit;

namespace TrainingPlatform.Directory.Tests;

public sealed class TeacherSheetTests
{
    private static IReadOnlyList<(int, IReadOnlyList<string>)> Sheet(params string[] lines) =>
        Csv.Parse(string.Join('\n', lines));

    [Fact]
    public void Chinese_headers_in_any_order_and_chinese_values_become_a_profile()
    {
        var (rows, errors) = TeacherSheet.Read(Sheet(
            "姓名,身份证号,学校代码,学段,学科,参加工作时间,师范类别,班主任,发展层级,在岗状态,备注",
            "王丽,371602198503120028,371602001,高中,语文,2008/9/1,非师范,是,深蓝,在岗,任意备注"));

        Assert.Empty(errors);
        var (line, input) = Assert.Single(rows);
        Assert.Equal(2, line);
        Assert.Equal(("王丽", "senior", "语文"), (input.Name, input.Stage, input.Subject));
        Assert.Equal(new DateOnly(2008, 9, 1), input.HireDate);
        Assert.Equal((false, true, "backbone", true), (input.NormalSchoolGraduate!.Value, input.ClassTeacher!.Value, input.Tier, input.InPost!.Value));
    }

    [Fact]
    public void A_missing_required_column_is_reported_once_on_the_header_line()
    {
        var (rows, errors) = TeacherSheet.Read(Sheet("姓名,身份证号", "王丽,371602198503120028"));

        Assert.Empty(rows);
        Assert.Contains(errors, e => e.Line == 1 && e.Column == "学校代码" && e.Reason.Contains("缺少必填列"));
    }

    [Fact]
    public void Unreadable_cells_are_reported_with_line_column_and_the_value_given()
    {
        var (_, errors) = TeacherSheet.Read(Sheet(
            "身份证号,姓名,学校代码,学段,学科,入职日期,是否师范毕业,是否班主任",
            "371602198503120028,王丽,371602001,大学,语文,去年,也许,是"));

        Assert.Contains(errors, e => e is { Line: 2, Column: "学段" } && e.Reason.Contains("大学"));
        Assert.Contains(errors, e => e is { Line: 2, Column: "入职日期" } && e.Reason.Contains("去年"));
        Assert.Contains(errors, e => e is { Line: 2, Column: "是否师范毕业" } && e.Reason.Contains("也许"));
    }
}
