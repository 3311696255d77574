using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TrainingPlatform.Gateway.Tests.Support;

namespace TrainingPlatform.Gateway.Tests;

/// <summary>What a browser is told about the gateway's answers, and how large a body each route takes.</summary>
public sealed class SecurityHeadersTests
{
    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : null;

    [Fact]
    public async Task API_answers_and_the_gateways_own_errors_may_not_be_framed_sniffed_or_rendered()
    {
        await using var platform = await TestPlatform.StartAsync(("catalog", 1));

        using var proxied = await platform.Client.GetAsync("/api/catalog/courses");
        using var notFound = await platform.Client.GetAsync("/api/nothing-here/x");
        foreach (var response in new[] { proxied, notFound })
        {
            Assert.Equal("default-src 'none'; frame-ancestors 'none'", Header(response, "Content-Security-Policy"));
            Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
            Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
            // Plain HTTP: a browser ignores HSTS there, and a gateway not behind TLS must not claim it.
            Assert.Null(Header(response, "Strict-Transport-Security"));
        }
    }

    [Fact]
    public async Task The_portals_pages_and_the_API_reference_keep_their_own_policy()
    {
        await using var platform = await TestPlatform.StartAsync(("catalog", 1), ("portal", 1));

        // The portal sets the policy its pages need; the gateway adds no second one (browsers would enforce both).
        using var page = await platform.Client.GetAsync("/electives");
        Assert.Equal("portal", (await page.Content.ReadFromJsonAsync<Echo>())!.Service);
        Assert.Null(Header(page, "Content-Security-Policy"));
        Assert.Equal("nosniff", Header(page, "X-Content-Type-Options"));

        using var reference = await platform.Client.GetAsync("/api-reference/");
        var policy = Assert.Single(reference.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self' 'nonce-", policy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HSTS_is_sent_only_when_a_trusted_TLS_proxy_says_the_client_used_HTTPS()
    {
        await using var untrusting = await TestPlatform.StartAsync(("catalog", 1));
        using var spoofed = await SendAsync(untrusting.Client, "/api/catalog/courses", forwardedProto: "https");
        Assert.Null(Header(spoofed, "Strict-Transport-Security"));

        await using var behindProxy = await TestPlatform.StartAsync([("catalog", 1)], new Dictionary<string, string?>
        {
            ["Gateway:ForwardedHeaders:KnownProxies:0"] = "127.0.0.1",
        });
        using var overTls = await SendAsync(behindProxy.Client, "/api/catalog/courses", forwardedProto: "https");
        Assert.Equal("max-age=31536000", Header(overTls, "Strict-Transport-Security"));
        using var plain = await SendAsync(behindProxy.Client, "/api/catalog/courses", forwardedProto: "http");
        Assert.Null(Header(plain, "Strict-Transport-Security"));
    }

    [Fact]
    public async Task A_JSON_body_over_1_MB_is_refused_with_413_in_words_before_any_service_sees_it()
    {
        await using var platform = await TestPlatform.StartAsync(("catalog", 1), ("enrollment", 1));

        using var declared = await PostAsync(platform.Client, "/api/catalog/courses", 1024 * 1024 + 1, chunked: false);
        using var streamed = await PostAsync(platform.Client, "/api/enrollment/selections", 2 * 1024 * 1024, chunked: true);

        foreach (var response in new[] { declared, streamed })
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("too-large", problem.GetProperty("rule").GetString());
            Assert.Contains("请求内容超过此接口允许的 1 MB", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Empty(platform["catalog"].Received);

        // Right at the limit is fine.
        using var atLimit = await PostAsync(platform.Client, "/api/catalog/courses", 1024 * 1024, chunked: false);
        Assert.Equal(HttpStatusCode.OK, atLimit.StatusCode);
    }

    [Fact]
    public async Task Imports_take_up_to_the_services_51_MB_and_progress_batches_2_MB()
    {
        await using var platform = await TestPlatform.StartAsync(("directory", 1), ("enrollment", 1));

        using var upload = await PostAsync(platform.Client, "/api/directory/imports/teachers", 5 * 1024 * 1024, chunked: true);
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        using var batch = await PostAsync(platform.Client, "/api/enrollment/progress", 3 * 1024 * 1024 / 2, chunked: false);
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);

        using var tooLargeUpload = await PostAsync(platform.Client, "/api/directory/imports/teachers", 51 * 1024 * 1024 + 1, chunked: false);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLargeUpload.StatusCode);
        Assert.Contains("51 MB", (await tooLargeUpload.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        using var tooLargeBatch = await PostAsync(platform.Client, "/api/enrollment/progress", 2 * 1024 * 1024 + 1, chunked: false);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLargeBatch.StatusCode);

        // Other directory writes keep the JSON limit.
        using var otherWrite = await PostAsync(platform.Client, "/api/directory/accounts", 2 * 1024 * 1024, chunked: false);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, otherWrite.StatusCode);
        Assert.Equal(2, platform.Replicas.Sum(r => r.Received.Count));
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string path, string forwardedProto)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Forwarded-Proto", forwardedProto);
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        return client.SendAsync(request);
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, int bytes, bool chunked)
    {
        var body = new byte[bytes];
        Array.Fill(body, (byte)'a');
        HttpContent content = chunked ? new StreamContent(new MemoryStream(body)) : new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        if (chunked)
        {
            content.Headers.ContentLength = null;
        }

        // As a careful uploader does: the body follows only once the gateway has looked at the headers, so a refusal
        // arrives as an answer instead of a connection closed mid-upload.
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.ExpectContinue = !chunked;
        return await client.SendAsync(request);
    }
}
