using System.Security.Claims;

namespace TrainingPlatform.BuildingBlocks.Security;

/// <summary>
/// Who is calling and what they may see, read from the token. One rule for every service: an operator sees the
/// province; a district or school admin sees their organisation and everything below it (path prefix); a teacher
/// sees only their own records.
/// </summary>
public sealed record PlatformUser(Guid AccountId, string Name, string Role, Guid? OrganisationId, string OrganisationPath, Guid? TeacherId)
{
    public static PlatformUser From(ClaimsPrincipal principal)
    {
        return new PlatformUser(
            Guid.TryParse(principal.FindFirstValue(PlatformClaims.Subject), out var id) ? id : Guid.Empty,
            principal.FindFirstValue(PlatformClaims.Name) ?? "",
            principal.FindFirstValue(PlatformClaims.Role) ?? "",
            Guid.TryParse(principal.FindFirstValue(PlatformClaims.OrganisationId), out var org) ? org : null,
            principal.FindFirstValue(PlatformClaims.OrganisationPath) ?? "",
            Guid.TryParse(principal.FindFirstValue(PlatformClaims.TeacherId), out var teacher) ? teacher : null);
    }

    public bool IsOperator => Role == Roles.PlatformOperator;

    /// <summary>May this user see organisation-level data (lists, reports) of the organisation at <paramref name="path"/>?</summary>
    public bool CanSeeOrganisation(string path) => Role switch
    {
        Roles.PlatformOperator => true,
        Roles.DistrictAdmin or Roles.SchoolAdmin or Roles.ResearchOffice or Roles.TrainingInstitution => IsWithinScope(path),
        _ => false,
    };

    /// <summary>May this user see the records of the teacher <paramref name="teacherId"/>, whose school is at <paramref name="schoolPath"/>?</summary>
    public bool CanSeeTeacher(Guid teacherId, string schoolPath) => Role switch
    {
        Roles.PlatformOperator => true,
        Roles.DistrictAdmin or Roles.SchoolAdmin or Roles.ResearchOffice or Roles.TrainingInstitution => IsWithinScope(schoolPath),
        _ => TeacherId == teacherId,
    };

    /// <summary>
    /// The same rule in SQL, for lists: <c>where {ScopeSql("s.path")}</c> with <see cref="ScopeParameters"/> (or
    /// another root inside the scope) bound as <c>@ScopeRoot</c> and <c>@ScopePrefix</c>. The operator's root is
    /// empty: the whole province.
    /// </summary>
    public static string ScopeSql(string pathColumn) =>
        $"(@ScopeRoot = '' or {pathColumn} = @ScopeRoot or {pathColumn} like @ScopePrefix escape '\\')";

    public object ScopeParameters => ScopeParametersFor(IsOperator ? "" : OrganisationPath);

    // A '_' or '%' inside a code is a character, not a LIKE wildcard.
    public static object ScopeParametersFor(string root) => new
    {
        ScopeRoot = root,
        ScopePrefix = root.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal)
                          .Replace("_", @"\_", StringComparison.Ordinal) + "/%",
    };

    private bool IsWithinScope(string path) =>
        OrganisationPath.Length > 0
        && (path == OrganisationPath || path.StartsWith(OrganisationPath + "/", StringComparison.Ordinal));
}
