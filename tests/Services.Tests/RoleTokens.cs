using TrainingPlatform.TestSupport;

namespace TrainingPlatform.Services.Tests;

internal static class RoleTokens
{
    /// <summary>
    /// A token as Directory would sign it for <paramref name="role"/>: scoped to <paramref name="orgPath"/> when
    /// given, and naming the teacher's own record when <paramref name="teacher"/> is.
    /// </summary>
    public static string For(this TestTokens tokens, string role, string? orgPath = null, Guid? teacher = null)
    {
        var claims = new Dictionary<string, object> { ["name"] = role };
        if (orgPath is not null)
        {
            claims["org"] = Guid.NewGuid().ToString();
            claims["org_path"] = orgPath;
        }
        if (teacher is not null)
        {
            claims["teacher"] = teacher.Value.ToString();
        }
        return tokens.Issue(role, claims: claims);
    }
}
