using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.Tokens;

namespace TrainingPlatform.ServiceDefaults;

/// <summary>Settings under <c>Authentication:Jwt</c>.</summary>
public sealed class JwtSettings
{
    public const string SectionName = "Authentication:Jwt";

    /// <summary>Who signs the platform's tokens: the Directory service.</summary>
    public string Issuer { get; set; } = "trainingplatform-directory";

    public string Audience { get; set; } = "trainingplatform";

    /// <summary>
    /// A JSON Web Key Set given inline (tests, or a deployment that distributes keys itself). When empty, the keys
    /// come from the issuer's discovery document at <see cref="Authority"/>.
    /// </summary>
    public string? SigningKeys { get; set; }

    /// <summary>Base URL of the issuer. Defaults to the Directory service's discovered endpoint.</summary>
    public string? Authority { get; set; }

    /// <summary>
    /// How often the issuer's keys are fetched again (at least five minutes, the handler's floor). Directory publishes
    /// the next key a whole rotation interval before it signs with it, so this only has to be well below that.
    /// </summary>
    public TimeSpan KeyRefreshInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The least time between fetches prompted by a token whose key id is unknown, so forged ids cannot flood the issuer.</summary>
    public TimeSpan UnknownKeyRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);
}

public static class Authentication
{
    public const string DirectoryServiceName = "directory";

    /// <summary>The configuration manager refuses a shorter automatic refresh.</summary>
    private static readonly TimeSpan MinimumKeyRefreshInterval = TimeSpan.FromMinutes(5);

    /// <summary>
    /// JWT bearer validation for every service and the gateway. Tokens are signed by the Directory service with
    /// an asymmetric key; everyone else validates against its published keys (cached by the handler, fetched again
    /// every <see cref="JwtSettings.KeyRefreshInterval"/> and when an unknown key id appears), so no call to
    /// Directory sits on the request path. Keys rotate: as Directory publishes the next key long before it signs with
    /// it, a token signed right after a rotation validates everywhere at once.
    /// Every endpoint requires an authenticated user unless it opts out explicitly.
    /// </summary>
    public static TBuilder AddPlatformAuthentication<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var settings = builder.Configuration.GetSection(JwtSettings.SectionName).Get<JwtSettings>() ?? new JwtSettings();

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(options =>
            {
                options.MapInboundClaims = false;
                options.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = settings.Issuer,
                    ValidAudience = settings.Audience,
                    ValidateIssuer = true,
                    ValidateAudience = true,
                    ValidateLifetime = true,
                    ValidateIssuerSigningKey = true,
                    ClockSkew = TimeSpan.FromSeconds(30),
                    NameClaimType = "name",
                    RoleClaimType = "role",
                };
                options.Events = new JwtBearerEvents
                {
                    OnTokenValidated = async context =>
                    {
                        await PasswordChangeGate.OnTokenValidated(context);
                        if (context.Result is null)
                        {
                            await SessionRevocation.OnTokenValidated(context);
                        }
                    },
                    // WebApplication runs authentication ahead of the status-code-pages middleware, so the
                    // handler writes its own problem details: a 401 or 403 always says why.
                    OnChallenge = async context =>
                    {
                        context.HandleResponse();
                        await WriteProblemAsync(context.HttpContext, StatusCodes.Status401Unauthorized, context.AuthenticateFailure?.Message);
                    },
                    OnForbidden = context => WriteProblemAsync(context.HttpContext, StatusCodes.Status403Forbidden, null),
                };

                if (!string.IsNullOrWhiteSpace(settings.SigningKeys))
                {
                    options.TokenValidationParameters.IssuerSigningKeys = new JsonWebKeySet(settings.SigningKeys).GetSigningKeys();
                }
                else
                {
                    var authority = settings.Authority ?? builder.Configuration[$"services:{DirectoryServiceName}:http:0"];
                    if (!string.IsNullOrWhiteSpace(authority))
                    {
                        options.MetadataAddress = $"{authority.TrimEnd('/')}/.well-known/openid-configuration";
                        // Inside the platform's private network the issuer is plain HTTP; TLS ends at the edge.
                        options.RequireHttpsMetadata = false;
                        options.RefreshOnIssuerKeyNotFound = true;
                        options.AutomaticRefreshInterval = settings.KeyRefreshInterval > MinimumKeyRefreshInterval
                            ? settings.KeyRefreshInterval : MinimumKeyRefreshInterval;
                        options.RefreshInterval = settings.UnknownKeyRefreshInterval > TimeSpan.FromSeconds(1)
                            ? settings.UnknownKeyRefreshInterval : TimeSpan.FromSeconds(1);
                    }
                }
            });

        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());

        return builder;
    }

    private static async Task WriteProblemAsync(HttpContext http, int status, string? reason)
    {
        http.Response.StatusCode = status;
        var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails =
            {
                Status = status,
                Title = status == StatusCodes.Status401Unauthorized ? "未登录或登录已失效 (unauthorized)" : "无权访问 (forbidden)",
                // Only our own gates' reasons are meant for the user; token validation details are not.
                Detail = reason is not null && (reason.StartsWith("请先修改初始密码", StringComparison.Ordinal)
                    || reason == SessionRevocation.EndedDetail) ? reason : null,
            },
        });
    }
}
