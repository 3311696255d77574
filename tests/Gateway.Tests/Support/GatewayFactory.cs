using TrainingPlatform.TestSupport;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TrainingPlatform.Gateway.Tests.Support;

/// <summary>
/// The real gateway (its Program) on Kestrel at 127.0.0.1 and a random port, configured the way the AppHost does:
/// <c>services:&lt;name&gt;:http:&lt;i&gt;</c> per replica, plus whatever the test overrides.
/// </summary>
public sealed class GatewayFactory : WebApplicationFactory<Program>
{
    /// <summary>Health checks fast enough for tests; limits high enough not to get in the way unless a test lowers them.</summary>
    private static readonly Dictionary<string, string?> TestDefaults = new()
    {
        ["Gateway:Proxy:HealthCheckInterval"] = "00:00:00.250",
        ["Gateway:Proxy:HealthCheckTimeout"] = "00:00:01",
        ["Gateway:DownstreamHealth:Timeout"] = "00:00:01",
        ["Gateway:DownstreamHealth:CacheDuration"] = "00:00:00",
        ["Authentication:Jwt:SigningKeys"] = TestTokens.Shared.Jwks,
    };

    private readonly Dictionary<string, string?> _settings;

    public GatewayFactory(IEnumerable<StubService> services, IDictionary<string, string?>? settings = null)
    {
        _settings = new Dictionary<string, string?>(TestDefaults);
        foreach (var group in services.GroupBy(s => s.Service))
        {
            var index = 0;
            foreach (var replica in group)
            {
                _settings[$"services:{group.Key}:http:{index++}"] = replica.Url;
            }
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
    }

    /// <summary>
    /// A plain client to the gateway's real address. It sends no trace context of its own, so a test controls the
    /// <c>traceparent</c> the gateway receives: without a propagator the handler has no diagnostics stage, so neither
    /// the runtime nor the gateway's OpenTelemetry HttpClient instrumentation (listening process-wide, as the gateway
    /// runs in the test's process) adds or overwrites trace headers on the test's requests.
    /// </summary>
    public HttpClient CreateGatewayClient()
    {
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        var handler = new SocketsHttpHandler
        {
            ActivityHeadersPropagator = null,
            AllowAutoRedirect = false,
        };
        return new HttpClient(handler) { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
    }
}

public static class HttpClientExtensions
{
    public static async Task<Echo> GetEchoAsync(this HttpClient client, string path, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (bearer is not null)
        {
            request.Headers.Authorization = new("Bearer", bearer);
        }

        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<Echo>())!;
    }
}

public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds, failing after <paramref name="timeout"/>.</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > timeout)
            {
                Assert.Fail($"Not within {timeout.TotalSeconds:0.#} s: {what}");
            }

            await Task.Delay(50);
        }
    }
}
