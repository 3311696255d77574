using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace TrainingPlatform.ServiceDefaults;

/// <summary>
/// A first sign-in (a one-time initial password, or a teacher's ID number and the pinyin of their name) yields a token
/// that allows nothing but changing the password. Enforced at authentication, in every service, so no endpoint can
/// forget it: such a token authenticates only on endpoints marked with <see cref="AllowPendingPasswordChange"/>.
/// </summary>
public static class PasswordChangeGate
{
    public const string ClaimType = "pwd_change";

    public static Task OnTokenValidated(TokenValidatedContext context)
    {
        if (context.Principal?.HasClaim(ClaimType, "true") == true
            && context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<AllowPendingPasswordChangeMetadata>() is null)
        {
            context.Fail("请先修改初始密码。(The initial password must be changed before anything else.)");
        }
        return Task.CompletedTask;
    }

    /// <summary>Lets a token that still needs a password change reach this endpoint.</summary>
    public static TBuilder AllowPendingPasswordChange<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new AllowPendingPasswordChangeMetadata());
        return builder;
    }

    private sealed class AllowPendingPasswordChangeMetadata;
}
