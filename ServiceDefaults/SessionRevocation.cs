using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;

namespace TrainingPlatform.ServiceDefaults;

/// <summary>
/// What a service knows about ended sessions: for each account whose sessions were ended, the session version its
/// tokens must carry at least. Answered from memory, so the check adds no round trip to a request. A host that
/// registers none (the gateway) skips the check; the services behind it make it.
/// </summary>
public interface ISessionRevocations
{
    /// <summary>The least session version a token of <paramref name="accountId"/> must carry; 0 when none was ever ended.</summary>
    int RequiredVersion(Guid accountId);
}

/// <summary>
/// Sessions that end: Directory counts a version per account and puts it in every token it issues; a password change,
/// a lock-out, a change of role or school, leaving post or signing out raises it, and every service then refuses the
/// tokens issued before, long before they expire.
/// </summary>
public static class SessionRevocation
{
    /// <summary>The account's session version when the token was issued; a token without it counts as version 0.</summary>
    public const string ClaimType = "sv";

    /// <summary>The reason a refused token's 401 gives, to the user, in their words.</summary>
    public const string EndedDetail = "登录已失效，请重新登录。(This session has ended; please sign in again.)";

    public static Task OnTokenValidated(TokenValidatedContext context)
    {
        var revocations = context.HttpContext.RequestServices.GetService<ISessionRevocations>();
        if (revocations is null || context.Principal is not { } principal
            || !Guid.TryParse(principal.FindFirst("sub")?.Value, out var accountId))
        {
            return Task.CompletedTask;
        }
        var required = revocations.RequiredVersion(accountId);
        if (required > 0 && VersionOf(principal) < required)
        {
            context.Fail(EndedDetail);
        }
        return Task.CompletedTask;
    }

    private static int VersionOf(System.Security.Claims.ClaimsPrincipal principal) =>
        int.TryParse(principal.FindFirst(ClaimType)?.Value, System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var version) ? version : 0;
}
