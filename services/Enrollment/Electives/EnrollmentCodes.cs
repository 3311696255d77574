using TrainingPlatform.Contracts.Enrollment;

namespace TrainingPlatform.Services.Enrollment.Electives;

/// <summary>The statuses of an enrollment, with the names teachers read.</summary>
public static class EnrollmentStatuses
{
    public const string Enrolled = "enrolled";
    public const string Completed = "completed";
    public const string Withdrawn = "withdrawn";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Enrolled] = "学习中", [Completed] = "已完成", [Withdrawn] = "已退选",
    };
}

/// <summary>Required or elective (<see cref="EnrollmentKinds"/>), with the names teachers read.</summary>
public static class EnrollmentKindNames
{
    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [EnrollmentKinds.Required] = "必修", [EnrollmentKinds.Elective] = "选修",
    };
}
