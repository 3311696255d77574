namespace TrainingPlatform.Contracts.Reference;

/// <summary>Credit categories (学时类别), with their Chinese names.</summary>
public static class CourseCategories
{
    public const string Ethics = "ethics";                 // 师德
    public const string Subject = "subject";               // 学科培训（新理念/新知识/新方法/新技能）
    public const string ClassTeacher = "class_teacher";    // 班主任
    public const string EducationalTechnology = "edu_tech"; // 信息技术
    public const string Law = "law";                       // 法制
    public const string SchoolBased = "school_based";      // 校本研修
    public const string DegreeUpgrade = "degree_upgrade";  // 学历提升

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Ethics] = "师德",
        [Subject] = "学科培训",
        [ClassTeacher] = "班主任",
        [EducationalTechnology] = "信息技术",
        [Law] = "法制",
        [SchoolBased] = "校本研修",
        [DegreeUpgrade] = "学历提升",
    };
}

/// <summary>Delivery modes (培训形式).</summary>
public static class DeliveryModes
{
    public const string Online = "online";             // 远程/网络研修
    public const string Concentrated = "concentrated"; // 集中培训
    public const string SchoolBased = "school_based";  // 校本

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Online] = "网络研修",
        [Concentrated] = "集中培训",
        [SchoolBased] = "校本研修",
    };
}

/// <summary>Training levels (培训级别), from the national programme down to the school.</summary>
public static class TrainingLevels
{
    public const string National = "national";
    public const string Provincial = "provincial";
    public const string City = "city";
    public const string County = "county";
    public const string Township = "township";
    public const string School = "school";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [National] = "国家级",
        [Provincial] = "省级",
        [City] = "市级",
        [County] = "县级",
        [Township] = "乡镇级",
        [School] = "校级",
    };
}

/// <summary>Stage names in Chinese, for messages shown to users.</summary>
public static class StageNames
{
    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Directory.Stages.Kindergarten] = "幼儿园",
        [Directory.Stages.Primary] = "小学",
        [Directory.Stages.Junior] = "初中",
        [Directory.Stages.Senior] = "高中",
    };
}
