namespace TrainingPlatform.Contracts.Directory;

/// <summary>The levels of the organisation tree, as they appear in messages.</summary>
public static class OrganisationKinds
{
    public const string Province = "province";
    public const string City = "city";
    public const string County = "county";
    public const string Township = "township";
    public const string School = "school";

    public static readonly IReadOnlyList<string> All = [Province, City, County, Township, School];

    /// <summary>Each level as people call it, for messages.</summary>
    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Province] = "省", [City] = "设区市", [County] = "县区", [Township] = "乡镇", [School] = "学校",
    };

    public static string Name(string kind) => Names.GetValueOrDefault(kind, kind);
}

/// <summary>School stages (学段).</summary>
public static class Stages
{
    public const string Kindergarten = "kindergarten";
    public const string Primary = "primary";
    public const string Junior = "junior";
    public const string Senior = "senior";

    public static readonly IReadOnlyList<string> All = [Kindergarten, Primary, Junior, Senior];
}
