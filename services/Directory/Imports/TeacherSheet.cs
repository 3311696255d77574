using System.Globalization;
using TrainingPlatform.BuildingBlocks.Text;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Directory.Teachers;

namespace TrainingPlatform.Services.Directory.Imports;

/// <summary>One problem with one cell (or row) of an uploaded sheet, as the person fixing the file needs it.</summary>
public sealed record RowError(int Line, string Column, string Reason);

/// <summary>
/// A teachers spreadsheet the way a bureau hands it over: Chinese headers in the first row, Chinese values
/// (高中, 是/否, 春苗 …). Column order is free; unknown columns are ignored; required columns must be present.
/// </summary>
public static class TeacherSheet
{
    /// <summary>Header → the field it fills. Several spellings are accepted where bureaus differ.</summary>
    private static readonly Dictionary<string, string> Headers = new(StringComparer.Ordinal)
    {
        ["身份证号"] = "nationalId", ["身份证号码"] = "nationalId",
        ["姓名"] = "name",
        ["学校代码"] = "schoolCode", ["单位代码"] = "schoolCode",
        ["学段"] = "stage",
        ["学科"] = "subject", ["任教学科"] = "subject",
        ["入职日期"] = "hireDate", ["参加工作时间"] = "hireDate",
        ["是否师范毕业"] = "normalSchoolGraduate", ["师范类别"] = "normalSchoolGraduate",
        ["是否班主任"] = "classTeacher", ["班主任"] = "classTeacher",
        ["职称"] = "title",
        ["发展层级"] = "tier",
        ["是否在岗"] = "inPost", ["在岗状态"] = "inPost",
    };

    private static readonly string[] Required = ["nationalId", "name", "schoolCode", "stage", "subject", "hireDate", "normalSchoolGraduate", "classTeacher"];

    /// <summary>The column header a field is reported under (the first spelling).</summary>
    public static string ColumnOf(string field) => Headers.First(h => h.Value == field).Key;

    // Chinese name → code, read from the same maps the rules and the API documents use.
    private static readonly Dictionary<string, string> StagesByName =
        StageNames.Names.ToDictionary(s => s.Value, s => s.Key, StringComparer.Ordinal);

    private static readonly Dictionary<string, string> TiersByName = Tiers.Names.ToDictionary(t => t.Value, t => t.Key, StringComparer.Ordinal);

    /// <summary>The export's columns: the import's own headers, so an exported sheet can be edited and imported back.</summary>
    public static readonly IReadOnlyList<string> ExportHeaders =
        ["身份证号", "姓名", "学校代码", "学校名称", "学段", "学科", "入职日期", "是否师范毕业", "是否班主任", "职称", "发展层级", "是否在岗"];

    /// <summary>A teacher as an export row; the ID number masked unless the export is the audited full one.</summary>
    public static IReadOnlyList<object?> ExportRow(TeacherRow t, bool fullNationalId) =>
    [
        fullNationalId ? t.NationalId : PersonalData.MaskNationalId(t.NationalId), t.Name, t.SchoolCode, t.SchoolName,
        StageNames.Names[t.Stage], t.Subject, t.HireDate,
        t.NormalSchoolGraduate ? "是" : "否", t.ClassTeacher ? "是" : "否", t.Title,
        Tiers.Names[t.Tier], t.InPost ? "是" : "否",
    ];

    private static readonly string[] DateFormats = ["yyyy-M-d", "yyyy/M/d", "yyyy.M.d", "yyyyMMdd", "yyyy年M月d日", "yyyy-M", "yyyy/M", "yyyy.M"];

    /// <summary>Reads the rows; problems that belong to a cell's form (not to the rules) are reported here.</summary>
    public static (IReadOnlyList<(int Line, TeacherInput Input)> Rows, IReadOnlyList<RowError> Errors) Read(
        IReadOnlyList<(int Line, IReadOnlyList<string> Fields)> records)
    {
        var errors = new List<RowError>();
        if (records.Count == 0)
        {
            return ([], [new RowError(1, "", "文件为空：第一行应为表头")]);
        }

        var columns = new Dictionary<string, int>(StringComparer.Ordinal);
        var header = records[0];
        for (var i = 0; i < header.Fields.Count; i++)
        {
            if (Headers.TryGetValue(header.Fields[i].Trim(), out var field))
            {
                columns.TryAdd(field, i);
            }
        }
        foreach (var missing in Required.Where(f => !columns.ContainsKey(f)))
        {
            errors.Add(new RowError(header.Line, ColumnOf(missing), $"缺少必填列“{ColumnOf(missing)}”"));
        }
        if (errors.Count > 0)
        {
            return ([], errors);
        }

        var rows = new List<(int, TeacherInput)>();
        foreach (var (line, fields) in records.Skip(1))
        {
            string? Cell(string field) =>
                columns.TryGetValue(field, out var i) && i < fields.Count && fields[i].Trim() is { Length: > 0 } v ? v : null;

            rows.Add((line, new TeacherInput(
                Cell("nationalId"),
                Cell("name"),
                Cell("schoolCode"),
                Map(Cell("stage"), StagesByName, line, "stage", "学段应为 高中/初中/小学/幼儿园", errors),
                Cell("subject"),
                Date(Cell("hireDate"), line, errors),
                YesNo(Cell("normalSchoolGraduate"), line, "normalSchoolGraduate", errors, yes: ["是", "师范"], no: ["否", "非师范"]),
                YesNo(Cell("classTeacher"), line, "classTeacher", errors, yes: ["是"], no: ["否"]),
                Cell("title"),
                Map(Cell("tier"), TiersByName, line, "tier", "发展层级应为 春苗/扬帆/深蓝/卓越/领航", errors),
                YesNo(Cell("inPost"), line, "inPost", errors, yes: ["是", "在岗"], no: ["否", "内退", "不在岗"]) ?? true)));
        }
        return (rows, errors);
    }

    private static string? Map(string? value, Dictionary<string, string> names, int line, string field, string rule, List<RowError> errors)
    {
        if (value is null)
        {
            return null;
        }
        if (names.TryGetValue(value, out var code) || names.ContainsValue(value))
        {
            return code ?? value;
        }
        errors.Add(new RowError(line, ColumnOf(field), $"{rule}（当前为“{value}”）"));
        return null;
    }

    private static bool? YesNo(string? value, int line, string field, List<RowError> errors, string[] yes, string[] no)
    {
        if (value is null)
        {
            return null;
        }
        if (yes.Contains(value))
        {
            return true;
        }
        if (no.Contains(value))
        {
            return false;
        }
        errors.Add(new RowError(line, ColumnOf(field), $"应填写 {string.Join("/", yes.Concat(no))}（当前为“{value}”）"));
        return null;
    }

    private static DateOnly? Date(string? value, int line, List<RowError> errors)
    {
        if (value is null)
        {
            return null;
        }
        if (DateOnly.TryParseExact(value, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }
        // A date cell read from XLSX arrives as Excel's serial day number.
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var serial) && serial is > 1 and < 100_000)
        {
            return DateOnly.FromDateTime(DateTime.FromOADate(serial));
        }
        errors.Add(new RowError(line, ColumnOf("hireDate"), $"日期格式应为 2015-09-01（当前为“{value}”）"));
        return null;
    }
}
