using System.Globalization;
using System.Text;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Directory.Imports;
using TrainingPlatform.Services.Directory.Organisations;
using TrainingPlatform.Services.Directory.Teachers;

namespace TrainingPlatform.Services.Directory.Demo;

/// <summary>
/// The demo province, generated deterministically (same input, same province, every time): Shandong with two
/// cities and five counties (the places of seed 004), ten schools per county across the four stages, and forty
/// teachers per school with real ID numbers, subjects of their stage and a spread of tiers and seniority.
/// </summary>
public static class DemoProvince
{
    public static readonly (string Code, string Name, string? Parent)[] Cities = [("3716", "滨州市", "37"), ("3704", "枣庄市", "37")];

    public static readonly (string Code, string Name, string City)[] Counties =
    [
        ("371602", "滨城区", "3716"), ("371603", "沾化区", "3716"), ("371621", "惠民县", "3716"),
        ("370402", "市中区", "3704"), ("370481", "滕州市", "3704"),
    ];

    private static readonly (string Suffix, string[] Stages)[] SchoolKinds =
    [
        ("第一中学", [Stages.Junior, Stages.Senior]), ("实验小学", [Stages.Primary]), ("第一幼儿园", [Stages.Kindergarten]),
        ("第二中学", [Stages.Junior]), ("第二小学", [Stages.Primary]), ("第三小学", [Stages.Primary]), ("第二幼儿园", [Stages.Kindergarten]),
        ("高级中学", [Stages.Senior]), ("第三中学", [Stages.Junior]), ("九年一贯制学校", [Stages.Primary, Stages.Junior]),
    ];

    public const int TeachersPerSchool = 40;

    /// <summary>The five teachers the README names, first in 滨城区's schools.</summary>
    private static readonly (string Id, string Name, string Stage, string Subject, string Hired, bool Normal, bool ClassTeacher, string Tier)[] Named =
    [
        ("371602198503120028", "王丽", Stages.Senior, "语文", "2008-09-01", true, true, "深蓝"),
        ("371602199007180034", "李强", Stages.Junior, "数学", "2013-09-01", true, false, "扬帆"),
        ("371602199301250048", "张敏", Stages.Primary, "英语", "2016-09-01", false, true, "扬帆"),
        ("371602198809090052", "刘洋", Stages.Primary, "科学", "2024-09-01", false, false, "春苗"),
        ("371602199506010064", "陈静", Stages.Kindergarten, "幼儿园教师", "2018-09-01", true, false, "春苗"),
    ];

    private static readonly string[] Surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"];
    private static readonly string[] GivenNames = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "晓燕", "海燕"];
    private static readonly string[] TierNames = ["春苗", "春苗", "扬帆", "扬帆", "深蓝", "卓越"];

    public static IEnumerable<RegisterOrganisation> Organisations()
    {
        yield return new RegisterOrganisation("37", "山东省", OrganisationKinds.Province, null, null);
        foreach (var (code, name, parent) in Cities)
        {
            yield return new RegisterOrganisation(code, name, OrganisationKinds.City, parent, null);
        }
        foreach (var (code, name, city) in Counties)
        {
            yield return new RegisterOrganisation(code, name, OrganisationKinds.County, city, null);
        }
        foreach (var school in Schools())
        {
            yield return new RegisterOrganisation(school.Code, school.Name, OrganisationKinds.School, school.County, school.Stages);
        }
    }

    public static IEnumerable<(string Code, string Name, string County, string[] Stages)> Schools() =>
        Counties.SelectMany(county => SchoolKinds.Select((kind, i) =>
            ($"{county.Code}{i + 1:000}", $"{county.Name}{kind.Suffix}", county.Code, kind.Stages)));

    /// <summary>The teachers as a bureau's CSV, ready for the import (the same path real data takes).</summary>
    public static byte[] TeachersCsv()
    {
        var text = new StringBuilder("身份证号,姓名,学校代码,学段,学科,入职日期,是否师范毕业,是否班主任,职称,发展层级\n");
        var stageName = new Dictionary<string, string>
        {
            [Stages.Senior] = "高中", [Stages.Junior] = "初中", [Stages.Primary] = "小学", [Stages.Kindergarten] = "幼儿园",
        };
        var named = Named.ToList();
        var n = 0;
        foreach (var school in Schools())
        {
            for (var t = 0; t < TeachersPerSchool; t++, n++)
            {
                var stage = school.Stages[t % school.Stages.Length];
                // The README's teachers take the first places of their stage in 滨城区's schools.
                var person = named.FirstOrDefault(p => p.Stage == stage);
                if (school.County == "371602" && t < school.Stages.Length && person.Id is not null)
                {
                    named.Remove(person);
                    text.Append(CultureInfo.InvariantCulture, $"{person.Id},{person.Name},{school.Code},{stageName[stage]},{person.Subject},{person.Hired},")
                        .Append(person.Normal ? "是" : "否").Append(',').Append(person.ClassTeacher ? "是" : "否").Append(",一级教师,")
                        .Append(person.Tier).Append('\n');
                    continue;
                }
                var subjects = Subjects.ByStage[stage];
                var birth = new DateOnly(1966, 1, 1).AddDays(n * 7 % 11_000);
                var first17 = $"{school.County}{birth:yyyyMMdd}{n % 900 + 100:000}";
                var id = first17 + NationalId.CheckCharacter(first17);
                var name = Surnames[n % Surnames.Length] + GivenNames[n * 7 % GivenNames.Length];
                var hired = birth.AddYears(22 + n % 5);
                text.Append(CultureInfo.InvariantCulture, $"{id},{name},{school.Code},{stageName[stage]},{subjects[n % subjects.Count]},{hired:yyyy-MM-dd},")
                    .Append(n % 3 == 0 ? "否" : "是").Append(',').Append(n % 4 == 0 ? "是" : "否").Append(',')
                    .Append(n % 2 == 0 ? "一级教师" : "二级教师").Append(',').Append(TierNames[n % TierNames.Length]).Append('\n');
            }
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>
    /// Who each county's guide account (<c>guide-&lt;code&gt;</c>) is: the most senior backbone (深蓝) or master (卓越)
    /// teacher of the county's first school. A guide teacher is a teacher, and Mentoring knows guides by teacher id
    /// (the token's teacher claim), so an account without one could never see the groups it guides.
    /// </summary>
    public static IEnumerable<(string Login, string NationalId, string Name)> GuideTeachers()
    {
        var (rows, _) = TeacherSheet.Read(Csv.Parse(Csv.Decode(TeachersCsv())));
        foreach (var (code, _, _) in Counties)
        {
            var guide = rows.Select(r => r.Input)
                .Where(t => t.SchoolCode == $"{code}001" && t.Tier is Tiers.Backbone or Tiers.Master && t.InPost != false)
                .OrderBy(t => t.HireDate).ThenBy(t => t.NationalId, StringComparer.Ordinal)
                .First();
            yield return ($"guide-{code}", guide.NationalId!, guide.Name!);
        }
    }

    /// <summary>Staff accounts for every role, named after what they are.</summary>
    public static IEnumerable<(string Login, string Name, string Role, string OrganisationCode)> Staff()
    {
        yield return ("learning-platform", "学习平台对接账号", Roles.LearningPlatform, "37");
        yield return ("binzhou-admin", "滨州市教育局", Roles.DistrictAdmin, "3716");
        yield return ("zaozhuang-admin", "枣庄市教育局", Roles.DistrictAdmin, "3704");
        foreach (var (code, name, _) in Counties)
        {
            yield return ($"county-{code}", $"{name}教师发展中心", Roles.DistrictAdmin, code);
            yield return ($"guide-{code}", $"{name}指导教师", Roles.GuideTeacher, code);
            yield return ($"research-{code}", $"{name}教研室", Roles.ResearchOffice, code);
            yield return ($"training-{code}", $"{name}教师进修学校", Roles.TrainingInstitution, code);
        }
        foreach (var school in Schools())
        {
            yield return ($"school-{school.Code}", $"{school.Name}教导处", Roles.SchoolAdmin, school.Code);
        }
    }
}
