using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace TrainingPlatform.Portal;

/// <summary>
/// The headers on every portal answer. The Content-Security-Policy fits Blazor Server: scripts only from the portal
/// (blazor.web.js and app.js are files; the one inline script, the import map, carries a per-request nonce), no eval,
/// styles only from app.css (the bars' widths are classes, not style attributes), the page's connection back to the
/// portal over fetch and WebSocket, and nothing may frame the portal, post a form elsewhere or move its base.
/// </summary>
public static partial class SecurityHeaders
{
    private const string NonceKey = "portal-csp-nonce";

    public const string ReferrerPolicy = "strict-origin-when-cross-origin";

    /// <summary>No page of the portal uses any of these; a script injected into one cannot either.</summary>
    public const string PermissionsPolicy = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), interest-cohort=()";

    public const string StrictTransportSecurity = "max-age=31536000";

    /// <summary>This request's nonce, for the inline scripts the page renders (the import map).</summary>
    public static string Nonce(HttpContext context)
    {
        if (context.Items[NonceKey] is not string nonce)
        {
            nonce = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(18));
            context.Items[NonceKey] = nonce;
        }

        return nonce;
    }

    public static WebApplication UsePortalSecurityHeaders(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            context.Response.OnStarting(static state => Apply((HttpContext)state), context);
            return next(context);
        });
        return app;
    }

    /// <summary>
    /// A page the portal passes on rather than renders (the printable certificate, from Credits) has its own inline
    /// <c>&lt;style&gt;</c> and no script: it gets a policy allowing exactly those styles, by hash, and nothing else.
    /// </summary>
    public static void ForForeignPage(HttpContext context, string html)
    {
        var hashes = InlineStyle().Matches(html)
            .Select(m => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(m.Groups["css"].Value)))}'")
            .Distinct();
        context.Response.Headers.ContentSecurityPolicy =
            $"default-src 'none'; style-src {string.Join(' ', hashes.DefaultIfEmpty("'none'"))}; img-src 'self' data:; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    }

    private static Task Apply(HttpContext context)
    {
        var headers = context.Response.Headers;
        if (!headers.ContainsKey("Content-Security-Policy"))
        {
            headers.ContentSecurityPolicy = Policy(context);
        }

        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = ReferrerPolicy;
        headers["Permissions-Policy"] = PermissionsPolicy;
        // The gateway in front says whether the browser used HTTPS (X-Forwarded-Proto, trusted in Program.cs).
        if (context.Request.IsHttps)
        {
            headers.StrictTransportSecurity = StrictTransportSecurity;
        }

        return Task.CompletedTask;
    }

    private static string Policy(HttpContext context)
    {
        // 'self' covers the page's WebSocket in current browsers (CSP3); naming it keeps older ones (Safari < 15.4) working.
        var socket = $"{(context.Request.IsHttps ? "wss" : "ws")}://{context.Request.Host}";
        return $"default-src 'self'; script-src 'self' 'nonce-{Nonce(context)}'; style-src 'self'; img-src 'self' data:; "
            + $"font-src 'self'; connect-src 'self' {socket}; object-src 'none'; base-uri 'self'; form-action 'self'; "
            + "frame-ancestors 'none'";
    }

    [GeneratedRegex("<style[^>]*>(?<css>.*?)</style>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex InlineStyle();
}
