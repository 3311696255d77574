using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using TrainingPlatform.Portal.Gateway;

namespace TrainingPlatform.Portal.Account;

/// <summary>What is not a page: signing out, and a certificate's printable page fetched with the user's token.</summary>
public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        // A form post with the antiforgery token, checked here (an endpoint that binds no form is not checked for
        // us): otherwise another site could sign anyone out.
        app.MapPost("/account/sign-out", async (HttpContext http, IAntiforgery antiforgery, GatewayClient gateway, CancellationToken cancellationToken) =>
        {
            if (!await antiforgery.IsRequestValidAsync(http))
            {
                return Results.LocalRedirect("/");
            }
            // The session ends at Directory first, so the token is refused everywhere, not merely forgotten by this
            // browser. Whatever that answers (already ended, gateway unreachable), the cookie goes.
            if (PortalSignIn.AccessToken(http.User) is { } token)
            {
                await gateway.WithTokenAsync<object>(token, HttpMethod.Post, "/api/directory/account/sign-out", null, cancellationToken);
            }
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect(PortalSignIn.SignInPath);
        }).RequireAuthorization(PortalSignIn.PendingPasswordChangePolicy);

        // The Credits service renders the certificate for print; the browser has no token to ask it, the portal does.
        app.MapGet("/certificates/{number}/print", async (string number, HttpContext http, AuthenticationStateProvider authentication,
            GatewayClient gateway, CancellationToken cancellationToken) =>
        {
            ((IHostEnvironmentAuthenticationStateProvider)authentication).SetAuthenticationState(
                Task.FromResult(new AuthenticationState(http.User)));
            var page = await gateway.GetTextAsync($"/api/credits/certificates/{Uri.EscapeDataString(number)}/print", cancellationToken);
            if (page.Ok)
            {
                SecurityHeaders.ForForeignPage(http, page.Value!);
            }
            return page.Ok
                ? Results.Content(page.Value, "text/html; charset=utf-8")
                : Results.Content($"<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><p>{System.Net.WebUtility.HtmlEncode(page.Problem!.Message)}</p></html>",
                    "text/html; charset=utf-8", statusCode: page.Problem.Status is >= 400 and < 600 ? page.Problem.Status : 502);
        });
        return app;
    }
}
