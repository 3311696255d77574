namespace TrainingPlatform.BuildingBlocks.Security;

/// <summary>The platform's roles, as carried in the token's "role" claim.</summary>
public static class Roles
{
    public const string PlatformOperator = "platform_operator";
    public const string DistrictAdmin = "district_admin";
    public const string SchoolAdmin = "school_admin";
    public const string Teacher = "teacher";
    public const string GuideTeacher = "guide_teacher";

    /// <summary>The learning side (the study platform) reporting progress, tests and assignments; a machine client.</summary>
    public const string LearningPlatform = "learning_platform";
}
