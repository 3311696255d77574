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
/// cities and five counties (the places of seed 004), ten schools per county across the four stages, 400 teachers a
/// county with real ID numbers, subjects of their stage staffed as a county's schools are, and tiers that follow
/// years of service.
/// </summary>
public static class DemoProvince
{
    public static readonly (string Code, string Name, string? Parent)[] Cities = [("3716", "滨州市", "37"), ("3704", "枣庄市", "37")];

    public static readonly (string Code, string Name, string City)[] Counties =
    [
        ("371602", "滨城区", "3716"), ("371603", "沾化区", "3716"), ("371621", "惠民县", "3716"),
        ("370402", "市中区", "3704"), ("370481", "滕州市", "3704"),
    ];

    // Sizes as a county's schools differ: a kindergarten is one head and about twenty teachers, and a county's sixteen
    // senior subjects need senior teachers in three schools, so that the subjects too small for a group in any one
    // school still make cross-school groups worth the name. 第一中学 (its 40 teachers), 实验小学 and 第三中学 keep the
    // sizes the README and the portal's tests know.
    private static readonly (string Suffix, string[] Stages, int Teachers)[] SchoolKinds =
    [
        ("第一中学", [Stages.Junior, Stages.Senior], 40), ("实验小学", [Stages.Primary], 40), ("第一幼儿园", [Stages.Kindergarten], 20),
        ("第二中学", [Stages.Junior, Stages.Senior], 60), ("第二小学", [Stages.Primary], 30), ("第三小学", [Stages.Primary], 30),
        ("第二幼儿园", [Stages.Kindergarten], 20), ("高级中学", [Stages.Senior], 80), ("第三中学", [Stages.Junior], 40),
        ("九年一贯制学校", [Stages.Primary, Stages.Junior], 40),
    ];

    /// <summary>Teachers in each county (every county has the same schools).</summary>
    public static readonly int TeachersPerCounty = SchoolKinds.Sum(k => k.Teachers);

    /// <summary>
    /// Who a school of a stage hires, in order: the k-th teacher of the stage in a school teaches the k-th subject here
    /// (round and round), so the main subjects have two or three teachers for every one of the others, as timetables need.
    /// </summary>
    private static readonly Dictionary<string, string[]> Staffing = new()
    {
        [Stages.Senior] =
        [
            "语文", "数学", "英语", "语文", "数学", "英语", "物理", "化学", "生物", "政治", "历史", "地理", "体育与健康",
            "音乐", "美术", "信息技术", "通用技术", "心理健康教育", "综合实践活动",
        ],
        [Stages.Junior] =
        [
            "语文", "数学", "英语", "语文", "数学", "英语", "物理", "化学", "生物", "思想品德", "历史", "地理", "体育",
            "音乐", "美术", "信息技术", "综合实践活动", "心理健康教育",
        ],
        [Stages.Primary] = ["语文", "数学", "英语", "科学", "体育", "音乐", "美术", "品德与生活(社会)", "语文", "数学", "信息技术", "综合实践活动", "心理健康教育"],
        [Stages.Kindergarten] = ["幼儿园教师"],
    };

    /// <summary>A kindergarten's one head (园长); every other teacher there is a 幼儿园教师.</summary>
    private const string KindergartenHead = "园长";

    /// <summary>The five teachers the README names, first in 滨城区's schools; their tier once past their first years.</summary>
    private static readonly (string Id, string Name, string Stage, string Subject, string Hired, bool Normal, bool ClassTeacher, string Tier)[] Named =
    [
        ("371602198503120028", "王丽", Stages.Senior, "语文", "2008-09-01", true, true, "深蓝"),
        ("371602199007180034", "李强", Stages.Junior, "数学", "2013-09-01", true, false, "扬帆"),
        ("371602199301250048", "张敏", Stages.Primary, "英语", "2016-09-01", false, true, "扬帆"),
        ("371602198809090052", "刘洋", Stages.Primary, "科学", "2024-09-01", false, false, "扬帆"),
        ("371602199506010064", "陈静", Stages.Kindergarten, "幼儿园教师", "2018-09-01", true, false, "扬帆"),
    ];

    private static readonly string[] Surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"];
    private static readonly string[] GivenNames = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "晓燕", "海燕"];

    private static readonly Dictionary<string, string> StageName = new()
    {
        [Stages.Senior] = "高中", [Stages.Junior] = "初中", [Stages.Primary] = "小学", [Stages.Kindergarten] = "幼儿园",
    };

    /// <summary>The school year the demo's latest hires started in; no one is hired after it, whenever it is seeded.</summary>
    private const int LatestHireYear = 2026;

    /// <summary>Hire years spread evenly over a career of this many years, up to <see cref="LatestHireYear"/>.</summary>
    private const int CareerYears = 36;

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

    public static IEnumerable<(string Code, string Name, string County, string[] Stages, int Teachers)> Schools() =>
        Counties.SelectMany(county => SchoolKinds.Select((kind, i) =>
            ($"{county.Code}{i + 1:000}", $"{county.Name}{kind.Suffix}", county.Code, kind.Stages, kind.Teachers)));

    /// <summary>
    /// The teachers as a bureau's CSV, ready for the import (the same path real data takes). Everything but the tiers is
    /// fixed; the tiers are as of <paramref name="asOf"/> (the day of seeding), because whether a teacher is still in
    /// their first years (春苗) depends on the day: a demo seeded later has fewer new teachers, never stale ones.
    /// </summary>
    public static byte[] TeachersCsv(DateOnly asOf)
    {
        var text = new StringBuilder("身份证号,姓名,学校代码,学段,学科,入职日期,是否师范毕业,是否班主任,职称,发展层级\n");
        foreach (var t in Teachers(asOf))
        {
            text.Append(CultureInfo.InvariantCulture, $"{t.Id},{t.Name},{t.SchoolCode},{StageName[t.Stage]},{t.Subject},{t.Hired:yyyy-MM-dd},")
                .Append(t.Normal ? "是" : "否").Append(',').Append(t.ClassTeacher ? "是" : "否").Append(',').Append(t.Title).Append(',')
                .Append(t.Tier).Append('\n');
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private sealed record DemoTeacher(
        string Id, string Name, string SchoolCode, string Stage, string Subject, DateOnly Hired, bool Normal, bool ClassTeacher, string Title, string Tier);

    private static IEnumerable<DemoTeacher> Teachers(DateOnly asOf)
    {
        var named = Named.ToList();
        var n = 0;
        foreach (var school in Schools())
        {
            var staff = new List<DemoTeacher>();
            var ofStage = school.Stages.ToDictionary(s => s, _ => 0);
            for (var t = 0; t < school.Teachers; t++, n++)
            {
                var stage = school.Stages[t % school.Stages.Length];
                var k = ofStage[stage]++;
                // The README's teachers take the first places of their stage in 滨城区's schools.
                var person = named.FirstOrDefault(p => p.Stage == stage);
                if (school.County == "371602" && t < school.Stages.Length && person.Id is not null)
                {
                    named.Remove(person);
                    var hiredOn = DateOnly.ParseExact(person.Hired, "yyyy-MM-dd", CultureInfo.InvariantCulture);
                    staff.Add(new DemoTeacher(person.Id, person.Name, school.Code, stage, person.Subject, hiredOn, person.Normal, person.ClassTeacher,
                        "一级教师", Tiers.InFirstYears(hiredOn, asOf) ? "春苗" : person.Tier));
                    continue;
                }
                // Hire years spread over a whole career within every school (a multiplier prime to the span, so
                // neighbours differ), starting on 1 September at 22 to 26.
                var hired = new DateOnly(LatestHireYear - n * 7919 % CareerYears, 9, 1);
                var birth = hired.AddYears(-(22 + n % 5)).AddDays(-(n * 37 % 360));
                var first17 = $"{school.County}{birth:yyyyMMdd}{n % 900 + 100:000}";
                var staffing = Staffing[stage];
                staff.Add(new DemoTeacher(first17 + NationalId.CheckCharacter(first17), Surnames[n % Surnames.Length] + GivenNames[n * 7 % GivenNames.Length],
                    school.Code, stage, staffing[k % staffing.Length], hired, n % 3 != 0, n % 4 == 0, TitleOf(hired, n), TierOf(hired, n, asOf)));
            }
            // One head (园长) per kindergarten, appointed from its longest-serving teachers as heads are.
            if (school.Stages is [Stages.Kindergarten])
            {
                var head = staff.Where(s => s.Subject == "幼儿园教师" && !Named.Any(p => p.Id == s.Id))
                    .OrderBy(s => s.Hired).ThenBy(s => s.Id, StringComparer.Ordinal).First();
                staff[staff.IndexOf(head)] = head with { Subject = KindergartenHead };
            }
            foreach (var teacher in staff)
            {
                yield return teacher;
            }
        }
    }

    /// <summary>Titles come with years of service (counted to the demo's latest school year, so they stay put); none in the first year.</summary>
    private static string TitleOf(DateOnly hired, int n) => (LatestHireYear - hired.Year) switch
    {
        0 => "",
        < 6 => "二级教师",
        < 20 => "一级教师",
        _ => n % 2 == 0 ? "高级教师" : "一级教师",
    };

    /// <summary>
    /// 春苗 for the first years of service (the same rule Mentoring pairs new teachers by); then, by years of service and
    /// a draw, backbone (深蓝, about a fifth of a county as its quota allows) or master (卓越) teachers, and 扬帆 for
    /// the rest: the platform has no "no tier", and 扬帆 is the tier after 春苗.
    /// </summary>
    private static string TierOf(DateOnly hired, int n, DateOnly asOf)
    {
        if (Tiers.InFirstYears(hired, asOf))
        {
            return "春苗";
        }
        var years = asOf.Year - hired.Year - (asOf < new DateOnly(asOf.Year, hired.Month, hired.Day) ? 1 : 0);
        var draw = n * 13 % 20;
        return years >= 15 && draw < 2 ? "卓越" : years >= 8 && draw < 7 ? "深蓝" : "扬帆";
    }

    /// <summary>
    /// Who each county's guide account (<c>guide-&lt;code&gt;</c>) is: the most senior backbone (深蓝) or master (卓越)
    /// teacher of the county's first school. A guide teacher is a teacher, and Mentoring knows guides by teacher id
    /// (the token's teacher claim), so an account without one could never see the groups it guides.
    /// </summary>
    public static IEnumerable<(string Login, string NationalId, string Name)> GuideTeachers(DateOnly asOf)
    {
        var (rows, _) = TeacherSheet.Read(Csv.Parse(Csv.Decode(TeachersCsv(asOf))));
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
        yield return ("auditor", "省教育厅审计员", Roles.Auditor, "37");
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
