using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.Services.Directory;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// A Directory service of its own for each test (a fresh database on the real test servers), with the helpers the
/// Directory tests share.
/// </summary>
public abstract class DirectoryTestBase : IAsyncLifetime
{
    protected TestTokens Tokens { get; } = new();

    protected ServiceFactory<DirectoryApi> DirectoryService { get; private set; } = null!;

    /// <summary>Extra configuration for the service under test.</summary>
    protected virtual IReadOnlyDictionary<string, string?>? Settings => null;

    public virtual async Task InitializeAsync() =>
        DirectoryService = await ServiceFactory<DirectoryApi>.CreateAsync(await TestServers.GetAsync(), Tokens, DirectoryApi.DatabaseName, Settings);

    public virtual async Task DisposeAsync() => await DirectoryService.DisposeAsync();

    protected HttpClient ClientWith(string token)
    {
        var client = DirectoryService.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    protected async Task<long> CountAsync(string sql)
    {
        await using var connection = await DirectoryService.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(sql);
    }

    /// <summary>POSTs and insists on 201 Created (showing the problem otherwise); returns the body.</summary>
    protected static async Task<JsonElement> PostOk(HttpClient client, string path, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Uploads a sheet to /api/directory/imports/{kind} and waits for the job to finish; returns the job.</summary>
    protected static async Task<JsonElement> ImportAndWaitAsync(HttpClient client, string kind, byte[] content, string fileName)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(content), "file", fileName } };
        using var accepted = await client.PostAsync($"/api/directory/imports/{kind}", form);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var location = accepted.Headers.Location!.ToString();

        JsonElement job = default;
        await Eventually.HoldsAsync(async () =>
        {
            job = await client.GetFromJsonAsync<JsonElement>(location);
            return job.GetProperty("status").GetString() is "succeeded" or "failed";
        }, TimeSpan.FromSeconds(30), "the import job to finish");
        return job;
    }

    /// <summary>A code no other test uses, so tests can share the servers.</summary>
    protected static string Unique(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..12];
}
