using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Http.Resilience;
using TrainingPlatform.Portal.Account;

namespace TrainingPlatform.Portal.Gateway;

/// <summary>
/// The platform's APIs, called through the gateway with the signed-in user's token as the bearer (the services
/// decide what that user may do). Every answer is an <see cref="ApiResult{T}"/>: the value, or a problem in words.
/// One per page (scoped); the user is the one the page was rendered for.
/// </summary>
public sealed class GatewayClient(IHttpClientFactory clients, AuthenticationStateProvider authentication)
{
    public const string HttpClientName = "gateway";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task<ApiResult<T>> GetAsync<T>(string path, CancellationToken cancellationToken = default) =>
        SendAsync<T>(HttpMethod.Get, path, null, cancellationToken);

    public Task<ApiResult<T>> PostAsync<T>(string path, object? body, CancellationToken cancellationToken = default) =>
        SendAsync<T>(HttpMethod.Post, path, body is null ? null : JsonContent.Create(body, options: Json), cancellationToken);

    public Task<ApiResult<T>> PutAsync<T>(string path, object body, CancellationToken cancellationToken = default) =>
        SendAsync<T>(HttpMethod.Put, path, JsonContent.Create(body, options: Json), cancellationToken);

    public Task<ApiResult<T>> DeleteAsync<T>(string path, CancellationToken cancellationToken = default) =>
        SendAsync<T>(HttpMethod.Delete, path, null, cancellationToken);

    /// <summary>A file as multipart/form-data field <c>file</c>, as the import endpoints take it.</summary>
    public Task<ApiResult<T>> UploadAsync<T>(string path, Stream file, string fileName, CancellationToken cancellationToken = default)
    {
        var form = new MultipartFormDataContent();
        var content = new StreamContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(content, "file", fileName);
        return SendAsync<T>(HttpMethod.Post, path, form, cancellationToken);
    }

    /// <summary>For endpoints that answer a page rather than JSON (a printable certificate).</summary>
    public Task<ApiResult<string>> GetTextAsync(string path, CancellationToken cancellationToken = default) =>
        SendAsync<string>(HttpMethod.Get, path, null, cancellationToken);

    /// <summary>A file (an XLSX export): its bytes, and the name the service gave it (else <paramref name="fallbackName"/>).</summary>
    public Task<ApiResult<ApiFile>> GetFileAsync(string path, string fallbackName, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, path, null, cancellationToken, read: async response =>
        {
            var disposition = response.Content.Headers.ContentDisposition;
            var name = disposition?.FileNameStar ?? disposition?.FileName?.Trim('"');
            return new ApiFile(await response.Content.ReadAsByteArrayAsync(cancellationToken), string.IsNullOrWhiteSpace(name) ? fallbackName : name,
                response.Content.Headers.ContentType?.MediaType ?? "application/octet-stream");
        });

    /// <summary>Anonymous endpoints (sign-in, certificate verification): no bearer even when someone is signed in.</summary>
    public Task<ApiResult<T>> AnonymousAsync<T>(HttpMethod method, string path, object? body = null, CancellationToken cancellationToken = default) =>
        SendAsync<T>(method, path, body is null ? null : JsonContent.Create(body, options: Json), cancellationToken, anonymous: true);

    /// <summary>With an explicit token: right after sign-in, before the cookie (and so the page's user) exists.</summary>
    public Task<ApiResult<T>> WithTokenAsync<T>(string token, HttpMethod method, string path, object? body,
        CancellationToken cancellationToken = default) =>
        SendAsync<T>(method, path, body is null ? null : JsonContent.Create(body, options: Json), cancellationToken, token: token);

    private async Task<ApiResult<T>> SendAsync<T>(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken,
        bool anonymous = false, string? token = null, Func<HttpResponseMessage, Task<T>>? read = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        token ??= anonymous ? null : PortalSignIn.AccessToken((await authentication.GetAuthenticationStateAsync()).User);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        try
        {
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return new(default, ApiProblem.From(response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken)));
            }
            if (read is not null)
            {
                return new(await read(response), null);
            }
            if (typeof(T) == typeof(string))
            {
                return new((T)(object)await response.Content.ReadAsStringAsync(cancellationToken), null);
            }
            if (response.StatusCode == System.Net.HttpStatusCode.NoContent || response.Content.Headers.ContentLength == 0)
            {
                return new(default, null);
            }
            return new(await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken), null);
        }
        catch (Exception e) when (e is TimeoutException or Polly.Timeout.TimeoutRejectedException
                                  || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // The service may still finish what was asked: a change is not known to have failed.
            return new(default, method == HttpMethod.Get ? ApiProblem.TimedOut : ApiProblem.TimedOutWhileChanging);
        }
        catch (Exception e) when (e is HttpRequestException or Polly.CircuitBreaker.BrokenCircuitException)
        {
            return new(default, ApiProblem.Unreachable);
        }
    }
}

public static class GatewayClientSetup
{
    public static TBuilder AddGatewayClient<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // "http://gateway" is resolved by service discovery from services:gateway:http:0 (the AppHost sets it).
        builder.Services.AddHttpClient(GatewayClient.HttpClientName, http => http.BaseAddress = new Uri($"http://{PortalApp.GatewayServiceName}"));
        // ServiceDefaults gives every client the standard resilience pipeline; a retried POST could apply for a
        // credit twice, so only safe methods are retried.
        // A province-wide action (activating a credit policy marks every teacher for re-evaluation, and waits for the
        // evaluator's batch in progress) can take longer than the default 10 s per attempt on a busy database.
        builder.Services.ConfigureAll<HttpStandardResilienceOptions>(options =>
        {
            options.Retry.DisableForUnsafeHttpMethods();
            options.AttemptTimeout.Timeout = TimeSpan.FromSeconds(45);
            options.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(90); // at least twice the attempt timeout
            options.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(120);
        });
        builder.Services.AddScoped<GatewayClient>();
        builder.Services.AddScoped<ProgramYears>();
        builder.Services.AddSingleton<ReferenceData>();
        return builder;
    }
}
