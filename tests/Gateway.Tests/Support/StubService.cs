using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace TrainingPlatform.Gateway.Tests.Support;

/// <summary>What a stand-in service saw of a request.</summary>
public sealed record Echo(
    string Service, string Replica, string Method, string Path, string Query, string? Traceparent, string? Authorization, string Body);

/// <summary>
/// A stand-in for one replica of a platform service: a real Kestrel app on 127.0.0.1 and a random port, answering
/// <c>/health</c> (healthy or not, as the test says), <c>/openapi/v1.json</c> (a document the test gives) and
/// <c>/api/**</c> with who it is and what it received. A path
/// ending in <c>/crash</c> is received (and counted) but gets no answer: the connection is dropped, as when the
/// replica dies while handling it.
/// </summary>
public sealed class StubService : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Echo> _received = new();
    private volatile bool _healthy = true;
    private bool _stopped;

    private StubService(string service, string replica, WebApplication app)
    {
        Service = service;
        Replica = replica;
        _app = app;
    }

    public string Service { get; }

    public string Replica { get; }

    public string Url { get; private set; } = "";

    /// <summary>Whether <c>/health</c> answers 200 (else 503).</summary>
    public bool Healthy
    {
        get => _healthy;
        set => _healthy = value;
    }

    public IReadOnlyCollection<Echo> Received => _received;

    /// <summary>What <c>/openapi/v1.json</c> answers (JSON text), as a real service's document would; 404 while null.</summary>
    public string? OpenApiDocument { get; set; }

    public static async Task<StubService> StartAsync(string service, string replica)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var stub = new StubService(service, replica, app);

        app.Map("/health", (HttpContext context) =>
        {
            context.Response.StatusCode = stub.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            return context.Response.WriteAsJsonAsync(new { status = stub.Healthy ? "Healthy" : "Unhealthy" });
        });

        app.MapGet("/openapi/v1.json", (HttpContext context) =>
        {
            if (stub.OpenApiDocument is not { } document)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            context.Response.ContentType = "application/json; charset=utf-8";
            return context.Response.WriteAsync(document);
        });

        app.Map("/{**rest}", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var echo = new Echo(
                service,
                replica,
                context.Request.Method,
                context.Request.Path.Value ?? "",
                context.Request.QueryString.Value ?? "",
                context.Request.Headers.TraceParent.FirstOrDefault(),
                context.Request.Headers.Authorization.FirstOrDefault(),
                await reader.ReadToEndAsync(context.RequestAborted));
            stub._received.Enqueue(echo);
            if (echo.Path.EndsWith("/crash", StringComparison.Ordinal))
            {
                context.Abort();
                return;
            }

            await context.Response.WriteAsJsonAsync(echo);
        });

        await app.StartAsync();
        stub.Url = app.Urls.Single();
        return stub;
    }

    /// <summary>Stops the replica: its port refuses connections from now on.</summary>
    public Task StopAsync() => StopAsync(abort: false);

    /// <summary>
    /// Stops the replica as kill -9 does its process: requests in flight get no answer, their connections are
    /// dropped, and its port refuses connections from now on.
    /// </summary>
    public Task KillAsync() => StopAsync(abort: true);

    private async Task StopAsync(bool abort)
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;

        // Kestrel drains its connections until the token fires, then aborts whatever is still open.
        await _app.StopAsync(abort ? new CancellationToken(canceled: true) : CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }
}
