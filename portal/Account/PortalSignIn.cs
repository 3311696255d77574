using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Portal.Gateway;

namespace TrainingPlatform.Portal.Account;

/// <summary>
/// Who is signed in to the portal. Directory's token (a JWT) is kept inside the portal's own cookie, which ASP.NET
/// Core encrypts with Data Protection (keys in portaldb): the browser never sees the token, and the portal sends it
/// as the bearer of every API call it makes for the user. The cookie's claims are the token's own claims.
/// </summary>
public static class PortalSignIn
{
    /// <summary>The claim holding the platform's access token inside the (encrypted) cookie.</summary>
    public const string AccessTokenClaim = "access_token";

    /// <summary>The name of a role held by appointment (指导教师, 导师 …), as Mentoring served it at sign-in.</summary>
    public const string HeldRoleNameClaim = "held_role_name";

    /// <summary>Everything but the password change and sign-out needs a changed password (the APIs refuse the token anyway).</summary>
    public const string PendingPasswordChangePolicy = "pending-password-change";

    public const string SignInPath = "/account/sign-in";
    public const string ChangePasswordPath = "/account/change-password";
    public const string AccessDeniedPath = "/account/access-denied";

    public static TBuilder AddPortalSignIn<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // ServiceDefaults made JWT bearer the default scheme (for APIs); a browser app signs in with a cookie.
        builder.Services.AddAuthentication(options =>
            {
                options.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                options.DefaultChallengeScheme = CookieAuthenticationDefaults.AuthenticationScheme;
            })
            .AddCookie(options =>
            {
                options.Cookie.Name = "tp.portal";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.LoginPath = SignInPath;
                options.AccessDeniedPath = AccessDeniedPath;
                options.ReturnUrlParameter = "returnUrl";
                options.SlidingExpiration = false;
                options.Events.OnRedirectToAccessDenied = context =>
                {
                    // The only thing a first sign-in may do is change the password: send it there.
                    context.Response.Redirect(MustChangePassword(context.HttpContext.User) ? ChangePasswordPath : context.RedirectUri);
                    return Task.CompletedTask;
                };
                options.Events.OnValidatePrincipal = context =>
                {
                    // An expired token is useless to the APIs: treat the cookie as gone.
                    if (context.Principal is { } principal && TokenExpired(principal, DateTimeOffset.UtcNow))
                    {
                        context.RejectPrincipal();
                    }
                    return Task.CompletedTask;
                };
            });

        var passwordChanged = new AuthorizationPolicyBuilder()
            .RequireAuthenticatedUser()
            .RequireAssertion(context => !MustChangePassword(context.User))
            .Build();
        builder.Services.AddAuthorizationBuilder()
            .SetDefaultPolicy(passwordChanged)
            .SetFallbackPolicy(passwordChanged)
            .AddPolicy(PendingPasswordChangePolicy, policy => policy.RequireAuthenticatedUser())
            .AddPolicy(ReviewerPolicy.Name, ReviewerPolicy.Build);
        builder.Services.AddSingleton<IAuthorizationHandler, ReviewerPolicy.Handler>();

        builder.Services.AddCascadingAuthenticationState();
        // An open page re-checks its user every minute: once the token expires it behaves as signed out.
        builder.Services.AddScoped<AuthenticationStateProvider, TokenExpiryAuthenticationStateProvider>();

        builder.Services.AddDataProtection().SetApplicationName("trainingplatform-portal");
        builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>, StoreKeysInPortalDatabase>();
        return builder;
    }

    /// <summary>
    /// The cookie principal for a token Directory has just issued (its claims, and the token itself). A first
    /// sign-in's token carries no role here: every page restricted to a role refuses it, and the refusal leads to the
    /// password change (pages open to any role require a changed password through the default policy).
    /// </summary>
    public static ClaimsPrincipal PrincipalFor(string accessToken, IReadOnlyList<HeldRole>? held = null)
    {
        var token = new JsonWebToken(accessToken);
        var pending = token.Claims.Any(c => c.Type == PlatformClaims.PasswordChangeRequired && c.Value == "true");
        var claims = token.Claims
            .Where(c => c.Type is not ("aud" or "iss" or "nbf" or "iat") && !(pending && c.Type == PlatformClaims.Role))
            .Concat((pending ? null : held)?.SelectMany(r => new[] { new Claim(PlatformClaims.Role, r.Code), new Claim(HeldRoleNameClaim, r.Name) }) ?? [])
            .Append(new Claim(AccessTokenClaim, accessToken));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme, PlatformClaims.Name, PlatformClaims.Role));
    }

    /// <summary>Signs in (or re-signs after a password change) with the token Directory issued; the cookie lives as long as the token.</summary>
    public static async Task SignInWithTokenAsync(this HttpContext http, string accessToken, GatewayClient api)
    {
        var principal = PrincipalFor(accessToken, await HeldRolesAsync(api, accessToken));
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal, new AuthenticationProperties
        {
            IsPersistent = false,
            ExpiresUtc = ExpiresAt(principal),
        });
    }

    /// <summary>
    /// One person, one sign-in: the roles a teacher holds by appointment (guide, mentor …), as Mentoring serves
    /// them, become roles of the portal session, so its menus show each role's pages. None when Mentoring cannot say;
    /// they then appear at the next sign-in, as does an appointment made meanwhile.
    /// </summary>
    private static async Task<IReadOnlyList<HeldRole>> HeldRolesAsync(GatewayClient api, string accessToken)
    {
        var token = new JsonWebToken(accessToken);
        if (!token.Claims.Any(c => c.Type == PlatformClaims.Role && c.Value == Roles.Teacher))
        {
            return [];
        }
        var held = await api.WithTokenAsync<List<HeldRole>>(accessToken, HttpMethod.Get, "/api/mentoring/me/roles", null);
        return held.Ok ? held.Value ?? [] : [];
    }

    public static bool MustChangePassword(ClaimsPrincipal user) => user.HasClaim(PlatformClaims.PasswordChangeRequired, "true");

    public static string? AccessToken(ClaimsPrincipal user) => user.FindFirst(AccessTokenClaim)?.Value;

    internal static DateTimeOffset? ExpiresAt(ClaimsPrincipal user) =>
        long.TryParse(user.FindFirst("exp")?.Value, out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;

    internal static bool TokenExpired(ClaimsPrincipal user, DateTimeOffset now) => ExpiresAt(user) is { } expires && expires <= now;
}

/// <summary>Re-checks an open circuit's user every minute: when the token expires, the pages see a signed-out user.</summary>
internal sealed class TokenExpiryAuthenticationStateProvider(ILoggerFactory loggerFactory) : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    protected override Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken) =>
        Task.FromResult(!PortalSignIn.TokenExpired(authenticationState.User, DateTimeOffset.UtcNow));
}
