using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.BuildingBlocks.Auditing;

/// <summary>Settings under <c>Auditing:SecurityEvents</c>.</summary>
public sealed class SecurityEventOptions
{
    public const string SectionName = "Auditing:SecurityEvents";

    /// <summary>
    /// The most security events one replica records per second; the rest are counted and the count is written into
    /// the next record. Each record holds the audit chain's lock for a millisecond or two, so a flood of forged tokens
    /// costs the privileged writes of the service at most this many short waits a second.
    /// </summary>
    public int PerSecond { get; set; } = 20;

    /// <summary>Events waiting to be written; beyond this a burst is counted as suppressed, never queued without bound.</summary>
    public int Queue { get; set; } = 1000;
}

/// <summary>
/// Two security events every service records in its own audit trail: <c>token-refused</c> (a request presented a
/// bearer token that failed validation) and <c>access-refused</c> (a signed-in caller was answered 403). A request
/// without a token is not recorded: anonymous browsing would flood the trail. The events are observed once the
/// response is decided and written by one background writer per replica, each in its own short transaction, so a
/// refused request never waits for, nor fails by, the audit write.
/// </summary>
public static class SecurityEvents
{
    public const string TokenRefused = "token-refused";
    public const string AccessRefused = "access-refused";

    /// <summary>How many events a flood made one replica drop, when no later event carried the count.</summary>
    public const string Suppressed = "security-events-suppressed";

    /// <summary>
    /// A token check of ours (in ServiceDefaults, which cannot see this assembly) names its refusal for the trail by
    /// failing with an exception carrying this key in <see cref="Exception.Data"/>, the value in Chinese.
    /// </summary>
    public const string ReasonKey = "SecurityEventReason";

    /// <summary>Called by <see cref="ServiceDatabase.AddServiceDatabase"/>, so every service with a database records them.</summary>
    public static IServiceCollection AddSecurityEvents(this IServiceCollection services)
    {
        services.AddOptions<SecurityEventOptions>().BindConfiguration(SecurityEventOptions.SectionName);
        services.AddSingleton<SecurityEventWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<SecurityEventWriter>());
        // A startup filter puts the observer outside everything the service's Program adds, authentication included,
        // so it sees the final status and the authentication outcome of every request without any Program.cs line.
        services.AddTransient<IStartupFilter, SecurityEventStartupFilter>();
        return services;
    }

    /// <summary>The refusal, in Chinese, without the validator's exception text (which may echo the token).</summary>
    public static string ReasonOf(Exception? failure)
    {
        if (failure is AggregateException { InnerExceptions.Count: > 0 } aggregate)
        {
            failure = aggregate.InnerExceptions[0];
        }
        if (failure?.Data[ReasonKey] is string given)
        {
            return given;
        }
        return failure switch
        {
            SecurityTokenExpiredException => "令牌已过期",
            SecurityTokenNotYetValidException => "令牌尚未生效",
            SecurityTokenSignatureKeyNotFoundException => "签名密钥未知（不是本平台当前发布的密钥）",
            SecurityTokenInvalidSignatureException => "签名无效",
            SecurityTokenInvalidAudienceException => "令牌的受众（audience）不是本平台",
            SecurityTokenInvalidIssuerException => "令牌的签发方（issuer）不是本平台",
            SecurityTokenInvalidLifetimeException or SecurityTokenNoExpirationException => "令牌的有效期无效",
            SecurityTokenMalformedException or ArgumentException => "令牌格式无法解析",
            _ when failure?.Message.StartsWith("请先修改初始密码", StringComparison.Ordinal) == true => "首次登录的令牌（须先修改初始密码）用于其他操作",
            _ => "令牌未通过校验",
        };
    }

    /// <summary>Who the unvalidated token says it is, each part marked as claimed; nothing if it cannot be read.</summary>
    public static (Guid AccountId, string Login, string Role, string OrganisationPath) ClaimedBy(string token)
    {
        try
        {
            var jwt = new JsonWebToken(token);
            string Claim(string type) => jwt.TryGetPayloadValue<string>(type, out var value) && !string.IsNullOrEmpty(value)
                ? Clip(value, 100) + "（声称）" : "";
            return (Guid.TryParse(jwt.Subject, out var id) ? id : Guid.Empty, Claim(PlatformClaims.Name), Claim(PlatformClaims.Role),
                Claim(PlatformClaims.OrganisationPath));
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenException or FormatException or System.Text.Json.JsonException)
        {
            return (Guid.Empty, "", "", "");
        }
    }

    internal static string Clip(string value, int length) => value.Length > length ? value[..length] : value;
}

internal sealed class SecurityEventStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseMiddleware<SecurityEventObserver>();
        next(app);
    };
}

/// <summary>Looks at each request once it is answered; records only refusals, and never fails the request.</summary>
internal sealed class SecurityEventObserver(RequestDelegate next, SecurityEventWriter writer, ILogger<SecurityEventObserver> logger)
{
    private const string Bearer = "Bearer ";

    public async Task InvokeAsync(HttpContext http)
    {
        await next(http);
        try
        {
            await ObserveAsync(http);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Could not observe the request for security events");
        }
    }

    private async Task ObserveAsync(HttpContext http)
    {
        var authenticated = http.User.Identity?.IsAuthenticated == true;
        if (!authenticated)
        {
            var header = http.Request.Headers.Authorization.ToString();
            if (!header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) || header.Length == Bearer.Length)
            {
                return; // no token: anonymous browsing and probes are not security events
            }
            // The handler keeps its result for the request, so this reads the outcome rather than validating again.
            var result = await http.AuthenticateAsync();
            if (result.Failure is null)
            {
                return;
            }
            var (accountId, login, role, path) = SecurityEvents.ClaimedBy(header[Bearer.Length..].Trim());
            var actor = new AuditActor(accountId, login, role, path, AuditActor.ClientAddressOf(http), Activity.Current?.TraceId.ToString());
            writer.Offer(new SecurityEvent(actor, SecurityEvents.TokenRefused, Target(http),
                $"拒绝令牌：{SecurityEvents.ReasonOf(result.Failure)}（{Target(http)}，应答 {http.Response.StatusCode}）"));
            return;
        }
        if (http.Response.StatusCode == StatusCodes.Status403Forbidden)
        {
            writer.Offer(new SecurityEvent(AuditActor.From(http), SecurityEvents.AccessRefused, Target(http), $"拒绝访问（403）：{Target(http)}"));
        }
    }

    // Method and path only: a query string may carry personal data (an ID number searched for).
    private static string Target(HttpContext http) => SecurityEvents.Clip($"{http.Request.Method} {http.Request.PathBase}{http.Request.Path}", 300);
}

internal sealed record SecurityEvent(AuditActor Actor, string Action, string Target, string Summary);

/// <summary>
/// One writer per replica: the observer hands events over without waiting, a bounded queue absorbs a burst, and at
/// most <see cref="SecurityEventOptions.PerSecond"/> are written a second, one at a time. What is dropped is counted
/// and the count goes into the next record written, so the trail shows that a flood happened and how big it was.
/// </summary>
internal sealed class SecurityEventWriter : BackgroundService
{
    private readonly Channel<SecurityEvent> _queue;
    private readonly NpgsqlDataSource _db;
    private readonly ILogger<SecurityEventWriter> _logger;
    private readonly int _perSecond;
    private long _suppressed;

    public SecurityEventWriter(NpgsqlDataSource db, Microsoft.Extensions.Options.IOptions<SecurityEventOptions> options, ILogger<SecurityEventWriter> logger)
    {
        _db = db;
        _logger = logger;
        _perSecond = Math.Max(1, options.Value.PerSecond);
        _queue = Channel.CreateBounded<SecurityEvent>(new BoundedChannelOptions(Math.Max(1, options.Value.Queue))
        {
            // Wait, not DropWrite: with Wait a full queue makes TryWrite say no (never block), so the drop is counted.
            SingleReader = true, FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public void Offer(SecurityEvent securityEvent)
    {
        if (!_queue.Writer.TryWrite(securityEvent))
        {
            Interlocked.Increment(ref _suppressed);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var window = Stopwatch.StartNew();
        var inWindow = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (!_queue.Reader.TryRead(out var securityEvent))
            {
                // Idle: a flood that has ended still leaves its count, in a record of its own once the window has passed.
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                idle.CancelAfter(TimeSpan.FromSeconds(1));
                try
                {
                    await _queue.Reader.WaitToReadAsync(idle.Token);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    if (Interlocked.Read(ref _suppressed) > 0 && window.Elapsed >= TimeSpan.FromSeconds(1))
                    {
                        window.Restart();
                        inWindow = 1;
                        await WriteAsync(null, stoppingToken);
                    }
                }
                continue;
            }
            if (window.Elapsed >= TimeSpan.FromSeconds(1))
            {
                window.Restart();
                inWindow = 0;
            }
            if (inWindow >= _perSecond)
            {
                Interlocked.Increment(ref _suppressed);
                continue;
            }
            inWindow++;
            await WriteAsync(securityEvent, stoppingToken);
        }
    }

    private async Task WriteAsync(SecurityEvent? securityEvent, CancellationToken stoppingToken)
    {
        var suppressed = Interlocked.Exchange(ref _suppressed, 0);
        var counted = $"此前另有 {suppressed} 条安全事件因限流（每副本每秒 {_perSecond} 条）未单独记录";
        var summary = securityEvent is null ? counted : suppressed == 0 ? securityEvent.Summary : $"{securityEvent.Summary}；{counted}";
        try
        {
            await using var unitOfWork = await UnitOfWork.BeginAsync(_db, stoppingToken);
            if (securityEvent is null)
            {
                await AuditTrail.RecordAsync(unitOfWork, SystemActor, SecurityEvents.Suppressed, "service", Environment.MachineName, summary, stoppingToken);
            }
            else
            {
                await AuditTrail.RecordAsync(unitOfWork, securityEvent.Actor, securityEvent.Action, "request", securityEvent.Target, summary, stoppingToken);
            }
            await unitOfWork.CommitAsync(stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // Counted back, so a later record still tells how many went unrecorded.
            Interlocked.Add(ref _suppressed, suppressed + (securityEvent is null ? 0 : 1));
            _logger.LogWarning(ex, "Could not record security event {Action} on {Target}", securityEvent?.Action ?? SecurityEvents.Suppressed,
                securityEvent?.Target);
        }
    }

    private static readonly AuditActor SystemActor = new(Guid.Empty, "system", "system", "", null, null);
}
