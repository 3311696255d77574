namespace TrainingPlatform.BuildingBlocks.Security;

/// <summary>The platform's roles, as carried in the token's "role" claim.</summary>
public static class Roles
{
    public const string PlatformOperator = "platform_operator";
    public const string DistrictAdmin = "district_admin";
    public const string SchoolAdmin = "school_admin";
    public const string Teacher = "teacher";
    public const string GuideTeacher = "guide_teacher";

    /// <summary>A district's teaching-research office (教研室): certifies offline credit applications in its scope.</summary>
    public const string ResearchOffice = "research_office";

    /// <summary>A training institution (教师培训机构/进修学校): registers certified offline credits in its scope.</summary>
    public const string TrainingInstitution = "training_institution";

    /// <summary>
    /// Roles a teacher holds as a person, by appointment in Mentoring rather than by account: they sign in as the
    /// teacher, and Mentoring says which of these they hold (<c>GET /api/mentoring/me/roles</c>).
    /// </summary>
    public const string Mentor = "mentor";
    public const string WorkshopHost = "workshop_host";
    public const string StudioMaster = "studio_master";
    public const string SupportTeacher = "support_teacher";

    /// <summary>An auditor (审计员): reads every service's audit trail across the province; writes nothing.</summary>
    public const string Auditor = "auditor";

    /// <summary>Staff roles that see everything at and below their organisation.</summary>
    public static readonly IReadOnlyList<string> ScopedStaff = [DistrictAdmin, SchoolAdmin, ResearchOffice, TrainingInstitution];

    /// <summary>The learning side (the study platform) reporting progress, tests and assignments; a machine client.</summary>
    public const string LearningPlatform = "learning_platform";

    /// <summary>Each role as people call it, for messages and pages.</summary>
    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [PlatformOperator] = "省级平台运营",
        [DistrictAdmin] = "市/县区管理员",
        [SchoolAdmin] = "学校管理员",
        [Teacher] = "教师",
        [GuideTeacher] = "指导教师",
        [ResearchOffice] = "教研室",
        [TrainingInstitution] = "教师培训机构",
        [LearningPlatform] = "学习平台对接账号",
        [Auditor] = "审计员",
    };
}
