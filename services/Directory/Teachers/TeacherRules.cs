using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Services.Directory.Teachers;

/// <summary>A teacher's profile as an admin (or an import row) gives it.</summary>
public sealed record TeacherInput(
    [property: Required, Length(18, 18), RegularExpression("^[0-9]{17}[0-9Xx]$"),
     Description("18 位居民身份证号（末位可为 X）；出生日期与性别由此读出，登记后不可修改")]
    string? NationalId,
    [property: Required, MaxLength(TeacherRules.MaxNameLength), Description("姓名，与身份证一致；少数民族姓名中间可用间隔号“·”")] string? Name,
    [property: Required, Description("所在学校的代码")] string? SchoolCode,
    [property: Required, Codes(typeof(StageNames)), Description("任教学段，须是学校开设的学段")] string? Stage,
    [property: Required, Codes(typeof(Subjects)), Description("任教学科，须属于所选学段（见 GET /api/directory/reference/subjects）")] string? Subject,
    [property: Required, Description("入职日期，不晚于今天，且不早于 16 周岁")] DateOnly? HireDate,
    [property: Required, Description("是否师范专业毕业")] bool? NormalSchoolGraduate,
    [property: Required, Description("是否班主任")] bool? ClassTeacher,
    [property: MaxLength(TeacherRules.MaxTitleLength), Description("职称，如 一级教师")] string? Title,
    [property: Codes(typeof(Tiers)), Description("发展层级；登记时不填为 new_teacher（春苗），修改时不填为不变")] string? Tier,
    [property: Description("是否在岗；登记时不填为在岗，修改时不填为不变")] bool? InPost);

/// <summary>
/// The field rules of a teacher profile, with no database: what can be checked from the input alone. Dates are
/// judged against <c>today</c> in the province's calendar, the day the admin typing them sees.
/// </summary>
public static class TeacherRules
{
    public const int MaxNameLength = 50;
    public const int MaxTitleLength = 30;

    public static Validation Validate(TeacherInput input, DateOnly today, out NationalId? nationalId)
    {
        var validation = new Validation();
        if (!NationalId.TryParse(input.NationalId, today, out nationalId, out var idError))
        {
            validation.Add("nationalId", idError!);
        }
        validation
            .RequirePersonName(input.Name, "name", MaxNameLength)
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
            .RequireTitle(input.Title, "title", "职称", MaxTitleLength, required: false);
        return validation;
    }
}
