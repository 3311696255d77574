using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace TrainingPlatform.Gateway.Tests.Support;

/// <summary>Access tokens as the Directory service issues them, signed with a test RSA key given to the gateway inline.</summary>
public static class TestTokens
{
    private const string KeyId = "gateway-tests";
    private static readonly RSA Key = RSA.Create(2048);

    public static string Jwks { get; } = CreateJwks();

    public static string For(string subject)
    {
        var handler = new JsonWebTokenHandler();
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "trainingplatform-directory",
            Audience = "trainingplatform",
            Subject = new ClaimsIdentity([new Claim("sub", subject), new Claim("name", subject)]),
            Expires = DateTime.UtcNow.AddMinutes(10),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(Key) { KeyId = KeyId }, SecurityAlgorithms.RsaSha256),
        });
    }

    private static string CreateJwks()
    {
        var parameters = Key.ExportParameters(includePrivateParameters: false);
        return JsonSerializer.Serialize(new
        {
            keys = new[]
            {
                new
                {
                    kty = "RSA",
                    use = "sig",
                    alg = "RS256",
                    kid = KeyId,
                    n = Base64UrlEncoder.Encode(parameters.Modulus),
                    e = Base64UrlEncoder.Encode(parameters.Exponent),
                },
            },
        });
    }
}
