using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.ServiceDefaults;

namespace TrainingPlatform.Services.Directory.Accounts;

/// <summary>Signs the platform's access tokens with the current signing key.</summary>
public sealed class TokenIssuer(SigningKeys keys, IOptions<SignInOptions> options, IConfiguration configuration, TimeProvider clock)
{
    private readonly JwtSettings _jwt = configuration.GetSection(JwtSettings.SectionName).Get<JwtSettings>() ?? new JwtSettings();

    public async Task<IssuedToken> IssueAsync(AccountRow account, CancellationToken cancellationToken)
    {
        var lifetime = account.MustChangePassword ? options.Value.PasswordChangeTokenLifetime : options.Value.TokenLifetime;
        var now = clock.GetUtcNow();
        var claims = new Dictionary<string, object>
        {
            [PlatformClaims.Name] = account.DisplayName,
            [PlatformClaims.Role] = account.Role,
            [PlatformClaims.SessionVersion] = account.SessionVersion,
        };
        if (account.OrganisationId is { } org)
        {
            claims[PlatformClaims.OrganisationId] = org.ToString();
            claims[PlatformClaims.OrganisationPath] = account.OrganisationPath ?? "";
        }
        if (account.TeacherId is { } teacher)
        {
            claims[PlatformClaims.TeacherId] = teacher.ToString();
        }
        if (account.MustChangePassword)
        {
            claims[PlatformClaims.PasswordChangeRequired] = "true";
        }

        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _jwt.Issuer,
            Audience = _jwt.Audience,
            Subject = new ClaimsIdentity([new Claim(PlatformClaims.Subject, account.Id.ToString())]),
            Claims = claims,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(await keys.CurrentAsync(cancellationToken), SecurityAlgorithms.RsaSha256),
        });
        return new IssuedToken(token, "Bearer", (int)lifetime.TotalSeconds, account.MustChangePassword);
    }
}

public sealed record IssuedToken(string AccessToken, string TokenType, int ExpiresIn, bool MustChangePassword);
