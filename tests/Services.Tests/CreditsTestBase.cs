using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Services.Credits;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>A Credits service of the test's own (its own database, the shared test servers), callers of any role, and its database.</summary>
public abstract class CreditsTestBase : IAsyncLifetime
{
    protected static readonly DateOnly Today = ProvinceCalendar.Today(TimeProvider.System);

    protected TestTokens Tokens { get; } = new();

    protected ServiceFactory<CreditsApi> CreditsService { get; set; } = null!;

    protected NpgsqlDataSource Db => CreditsService.Services.GetRequiredService<NpgsqlDataSource>();

    public virtual async Task InitializeAsync() =>
        CreditsService = await ServiceFactory<CreditsApi>.CreateAsync(await TestServers.GetAsync(), Tokens, CreditsApi.DatabaseName);

    public virtual async Task DisposeAsync() => await CreditsService.DisposeAsync();

    protected HttpClient As(string role, string? orgPath = null, Guid? teacher = null)
    {
        var client = CreditsService.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.For(role, orgPath, teacher));
        return client;
    }

    protected async Task<long> CountAsync(string sql)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(sql);
    }

    protected static async Task<JsonElement> Send(HttpClient client, HttpMethod method, string path, object? body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: expected {expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
