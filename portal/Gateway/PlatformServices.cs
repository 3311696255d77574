namespace TrainingPlatform.Portal.Gateway;

/// <summary>The platform's services as operators and auditors name them: the code in <c>/api/&lt;code&gt;/…</c> and its Chinese name.</summary>
public static class PlatformServices
{
    public static readonly IReadOnlyList<(string Code, string Name)> All =
    [
        ("directory", "人员与机构（directory）"),
        ("catalog", "课程与专题（catalog）"),
        ("enrollment", "选课与学习（enrollment）"),
        ("credits", "学时与证书（credits）"),
        ("mentoring", "指导带教（mentoring）"),
    ];
}
