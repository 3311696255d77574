using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Mentoring.Assignment;
using TrainingPlatform.Services.Mentoring.Mentors;

namespace TrainingPlatform.Services.Mentoring.Support;

/// <summary>对口帮扶 (seed 002): backbone teachers and experts are paired with weak schools, which a district marks.</summary>
public static class SupportRules
{
    /// <summary>The longest support period a district may set, in years.</summary>
    public const int MaxYears = 5;

    /// <summary>Why this teacher cannot be paired with that school, or null when they can.</summary>
    public static string? WhyNotSupport(string teacherName, string tier, bool inPost, string teacherSchoolPath, string schoolPath, string schoolName,
        bool schoolMarked)
    {
        if (!inPost)
        {
            return $"{teacherName} 不在岗，不能对口帮扶";
        }
        if (!MentorRules.MentorTiers.Contains(tier))
        {
            return $"{teacherName} 的发展层级不是骨干（深蓝）、卓越或领航，不能对口帮扶";
        }
        if (!schoolMarked)
        {
            return $"{schoolName} 未被列为帮扶对象：请先由教育局标记";
        }
        return OrganisationDistance.Between(teacherSchoolPath, schoolPath) == OrganisationDistance.SameSchool
            ? $"{teacherName} 就在 {schoolName} 任教，不能帮扶本校"
            : null;
    }

    /// <summary>
    /// The level of a support pairing: the lowest bureau over both schools, which is the one that can arrange it
    /// (same county → county, same city → city, else the province).
    /// </summary>
    public static string LevelOf(string teacherSchoolPath, string schoolPath) => OrganisationDistance.Between(teacherSchoolPath, schoolPath) switch
    {
        <= OrganisationDistance.SameCounty => TrainingLevels.County,
        OrganisationDistance.SameCity => TrainingLevels.City,
        _ => TrainingLevels.Provincial,
    };
}
