using System.Globalization;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Directory;

namespace TrainingPlatform.Services.Enrollment.Electives;

/// <summary>An earlier enrollment in the same course content in this cycle (重复参训).</summary>
public sealed record EarlierEnrollment
{
    public string ProgramYearCode { get; init; } = "";
    public string CourseTitle { get; init; } = "";
    public string Status { get; init; } = "";
}

/// <summary>Everything the elective rule needs, loaded by the handler from local copies.</summary>
public sealed record ElectiveFacts(
    DateOnly Today,
    EffectiveWindow Window,
    DateOnly StudyStarts,
    bool TeacherKnown,
    bool TeacherInPost,
    string TeacherStage,
    bool OptedOut,
    bool CoursePublished,
    IReadOnlyCollection<string> CourseStages,
    bool SchoolHasChosen,
    bool CourseInSchoolTopics,
    bool AlreadyEnrolled,
    EarlierEnrollment? SameContentEarlier);

public sealed record ElectiveDecision(bool Allowed, int Status, string Rule, string Reason)
{
    public static readonly ElectiveDecision Allow = new(true, 200, "", "");

    public static ElectiveDecision Refuse(int status, string rule, string reason) => new(false, status, rule, reason);
}

/// <summary>
/// May a teacher take this elective today? (Seed 004.) Only inside the course-selection window that applies to
/// their school, never once study has started; only courses inside the topics their school chose (kindergarten
/// teachers: any kindergarten course, as kindergartens choose no topics); never the same content twice in a cycle.
/// </summary>
public static class ElectiveRules
{
    private static string D(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static ElectiveDecision Decide(ElectiveFacts f)
    {
        if (!f.TeacherKnown)
        {
            return ElectiveDecision.Refuse(409, "teacher-unknown", "尚未收到你的教师档案，请稍后再试或联系学校管理员");
        }
        if (!f.TeacherInPost)
        {
            return ElectiveDecision.Refuse(422, "not-in-post", "不在岗（内退等）教师不参加本年度培训");
        }
        if (f.OptedOut)
        {
            return ElectiveDecision.Refuse(409, "opted-out", "学校已登记你本年度不参训，如需参训请联系学校管理员");
        }
        var window = WindowCheck(f.Today, f.Window, f.StudyStarts);
        if (window is not null)
        {
            return window;
        }
        if (!f.CoursePublished)
        {
            return ElectiveDecision.Refuse(422, "course-unavailable", "该课程不存在或已停用");
        }
        if (f.TeacherStage == Stages.Kindergarten)
        {
            if (!f.CourseStages.Contains(Stages.Kindergarten))
            {
                return ElectiveDecision.Refuse(422, "kindergarten-courses-only", "幼儿园教师只能选择幼儿园学段的课程");
            }
        }
        else if (!f.SchoolHasChosen)
        {
            return ElectiveDecision.Refuse(409, "school-topics-not-chosen", "你的学校尚未选择本年度选修专题，暂不能选课；请联系学校管理员");
        }
        else if (!f.CourseInSchoolTopics)
        {
            return ElectiveDecision.Refuse(422, "outside-school-topics", "该课程不在你学校所选的专题内");
        }
        if (f.AlreadyEnrolled)
        {
            return ElectiveDecision.Refuse(409, "already-enrolled", "你已选过这门课程");
        }
        if (f.SameContentEarlier is { } earlier)
        {
            return ElectiveDecision.Refuse(409, "repeated-training",
                $"重复参训：你已在 {earlier.ProgramYearCode} 年度选修过同一内容的课程“{earlier.CourseTitle}”（{StatusName(earlier.Status)}），同一周期内不能重复学习");
        }
        return ElectiveDecision.Allow;
    }

    /// <summary>Dropping an elective (or leaving a waiting list) is a change: allowed until study starts.</summary>
    public static ElectiveDecision DecideWithdrawal(DateOnly today, DateOnly studyStarts) =>
        today >= studyStarts
            ? ElectiveDecision.Refuse(409, "frozen", $"学习已于 {D(studyStarts)} 开始，选课已冻结，不能再退选")
            : ElectiveDecision.Allow;

    private static ElectiveDecision? WindowCheck(DateOnly today, EffectiveWindow window, DateOnly studyStarts)
    {
        if (today >= studyStarts)
        {
            return ElectiveDecision.Refuse(409, "frozen", $"学习已于 {D(studyStarts)} 开始，选课已冻结，不能再选课或调整");
        }
        if (today < window.OpensOn)
        {
            return ElectiveDecision.Refuse(409, "window-not-open", $"你所在学校的选课时间为 {D(window.OpensOn)} 至 {D(window.ClosesOn)}，尚未开始");
        }
        if (today > window.ClosesOn)
        {
            return ElectiveDecision.Refuse(409, "window-closed", $"你所在学校的选课已于 {D(window.ClosesOn)} 截止");
        }
        return null;
    }

    private static string StatusName(string status) => EnrollmentStatuses.Names.GetValueOrDefault(status, status);
}
