using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Services.Directory.Teachers;

/// <summary>A teacher's profile as an admin (or an import row) gives it.</summary>
public sealed record TeacherInput(
    string? NationalId,
    string? Name,
    string? SchoolCode,
    string? Stage,
    string? Subject,
    DateOnly? HireDate,
    bool? NormalSchoolGraduate,
    bool? ClassTeacher,
    string? Title,
    string? Tier,
    bool? InPost);

/// <summary>The field rules of a teacher profile, with no database: what can be checked from the input alone.</summary>
public static class TeacherRules
{
    public static Validation Validate(TeacherInput input, DateOnly today, out NationalId? nationalId)
    {
        var validation = new Validation();
        if (!NationalId.TryParse(input.NationalId, today, out nationalId, out var idError))
        {
            validation.Add("nationalId", idError!);
        }
        validation
            .Require(!string.IsNullOrWhiteSpace(input.Name) && input.Name.Trim().Length <= 50, "name", "姓名必填，最多 50 个字")
            .Require(!string.IsNullOrWhiteSpace(input.SchoolCode), "schoolCode", "学校代码必填");

        if (!Subjects.ByStage.ContainsKey(input.Stage ?? ""))
        {
            validation.Add("stage", $"学段必须是以下之一：{string.Join(", ", Subjects.ByStage.Keys)}");
        }
        else if (!Subjects.IsValid(input.Stage, input.Subject))
        {
            validation.Add("subject", $"学科“{input.Subject}”不属于该学段；可选：{string.Join("、", Subjects.ByStage[input.Stage!])}");
        }

        if (input.HireDate is not { } hired)
        {
            validation.Add("hireDate", "入职日期必填");
        }
        else if (hired > today)
        {
            validation.Add("hireDate", "入职日期不能晚于今天");
        }
        else if (nationalId is not null && hired < nationalId.BirthDate.AddYears(16))
        {
            validation.Add("hireDate", "入职日期早于 16 周岁，请核对入职日期或身份证号");
        }

        validation
            .Require(input.NormalSchoolGraduate is not null, "normalSchoolGraduate", "请填写是否师范毕业")
            .Require(input.ClassTeacher is not null, "classTeacher", "请填写是否班主任")
            .Require(input.Tier is null || Tiers.All.Contains(input.Tier), "tier", $"发展层级必须是以下之一：{string.Join(", ", Tiers.All)}")
            .Require(input.Title is null || input.Title.Trim().Length <= 30, "title", "职称最多 30 个字");
        return validation;
    }
}
