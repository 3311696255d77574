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

/// <summary>
/// The field rules of a teacher profile, with no database: what can be checked from the input alone. Dates are
/// judged against <c>today</c> in the province's calendar, the day the admin typing them sees.
/// </summary>
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
            .RequirePersonName(input.Name, "name")
            .Require(!string.IsNullOrWhiteSpace(input.SchoolCode), "schoolCode", "学校代码必填");

        if (!Subjects.ByStage.ContainsKey(input.Stage ?? ""))
        {
            validation.Add("stage", $"学段必须是以下之一：{string.Join("、", Subjects.ByStage.Keys.Select(s => $"{s}（{StageNames.Names[s]}）"))}");
        }
        else if (!Subjects.IsValid(input.Stage, input.Subject))
        {
            validation.Add("subject", $"学科“{input.Subject}”不属于该学段；可选：{string.Join("、", Subjects.ByStage[input.Stage!])}");
        }

        validation.RequirePastDate(input.HireDate, today, "hireDate", "入职日期", creditYear: false);
        if (input.HireDate is { } hired && hired <= today && nationalId is not null && hired < nationalId.BirthDate.AddYears(16))
        {
            validation.Add("hireDate", "入职日期早于 16 周岁，请核对入职日期或身份证号", "before-working-age");
        }

        validation
            .Require(input.NormalSchoolGraduate is not null, "normalSchoolGraduate", "请填写是否师范毕业")
            .Require(input.ClassTeacher is not null, "classTeacher", "请填写是否班主任")
            .Require(input.Tier is null || Tiers.All.Contains(input.Tier), "tier", $"发展层级必须是以下之一：{string.Join(", ", Tiers.All)}")
            .RequireTitle(input.Title, "title", "职称", 30, required: false);
        return validation;
    }
}
