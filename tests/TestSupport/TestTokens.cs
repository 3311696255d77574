using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace TrainingPlatform.TestSupport;

/// <summary>
/// A throw-away RSA signing key for tests, published to the services under test as an inline JWKS, so tests can
/// sign in as any role without the Directory service.
/// </summary>
public sealed class TestTokens
{
    public const string Issuer = "trainingplatform-directory";
    public const string Audience = "trainingplatform";

    private readonly RsaSecurityKey _key;

    /// <summary>One key for a whole test assembly, where tests need not tell keys apart.</summary>
    public static TestTokens Shared { get; } = new();

    public TestTokens()
    {
        _key = new RsaSecurityKey(RSA.Create(2048)) { KeyId = Guid.NewGuid().ToString("N") };
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_key.Rsa.ExportParameters(false)) { KeyId = _key.KeyId });
        jwk.Use = "sig";
        jwk.Alg = SecurityAlgorithms.RsaSha256;
        Jwks = JsonSerializer.Serialize(new { keys = new[] { new { jwk.Kty, jwk.Kid, jwk.Use, jwk.Alg, jwk.N, jwk.E } } },
            new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
    }

    /// <summary>The public key as a JSON Web Key Set, for <c>Authentication:Jwt:SigningKeys</c>.</summary>
    public string Jwks { get; }

    public string Issue(string role, string subject = "test-user", IDictionary<string, object>? claims = null, TimeSpan? lifetime = null)
    {
        var allClaims = new Dictionary<string, object>(claims ?? new Dictionary<string, object>()) { ["role"] = role };
        var expires = DateTime.UtcNow + (lifetime ?? TimeSpan.FromMinutes(10));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            // A negative lifetime gives a token that expired that long ago (its validity began an hour before that).
            NotBefore = expires < DateTime.UtcNow ? expires.AddHours(-1) : null,
            IssuedAt = expires < DateTime.UtcNow ? expires.AddHours(-1) : null,
            Issuer = Issuer,
            Audience = Audience,
            Subject = new ClaimsIdentity([new Claim("sub", subject)]),
            Claims = allClaims,
            Expires = expires,
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256),
        });
    }
}
