using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Services.Catalog;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// Directory's signing keys rotate, and Catalog — validating against Directory's published keys as every service
/// does, fetched over HTTP from Directory's discovery document — goes on accepting old tokens and new ones without a restart.
/// </summary>
public sealed class SigningKeyRotationTests : DirectoryTestBase
{
    private const string OperatorPassword = "Operator-2026-test";

    private ServiceFactory<CatalogApi> _catalog = null!;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Directory:BootstrapOperator:Password"] = OperatorPassword,
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _catalog = await ServiceFactory<CatalogApi>.CreateAsync(await TestServers.GetAsync(), Tokens, CatalogApi.DatabaseName,
            new Dictionary<string, string?>
            {
                // No inline keys: Catalog takes Directory's JWKS from its discovery document, as in production.
                ["Authentication:Jwt:SigningKeys"] = "",
                ["Authentication:Jwt:Authority"] = "http://directory",
                ["Authentication:Jwt:UnknownKeyRefreshInterval"] = "00:00:01",
            },
            services => services.Configure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme,
                o => o.BackchannelHttpHandler = DirectoryService.Server.CreateHandler()));
    }

    public override async Task DisposeAsync()
    {
        await _catalog.DisposeAsync();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task A_rotation_keeps_old_tokens_working_and_new_tokens_are_accepted_by_another_service_at_once()
    {
        var before = await SignInAsync();
        var keys = await ListKeysAsync(before);
        var (current, next) = (Kid(keys, "current"), Kid(keys, "next"));
        Assert.Equal(current, new JsonWebToken(before).Kid);
        Assert.Equal(Sorted(current, next), await JwksKidsAsync());
        Assert.Equal(HttpStatusCode.OK, await CatalogStatusAsync(before)); // Catalog fetches the keys: current and next

        using var operatorClient = ClientWith(before);
        using var rotated = await operatorClient.PostAsync("/api/directory/operations/signing-keys/rotate", null);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var after = await rotated.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(next, Kid(after, "current"));
        Assert.Equal(current, Kid(after, "retired"));
        var newNext = Kid(after, "next");
        Assert.DoesNotContain(newNext, new[] { current, next });
        var retired = after.EnumerateArray().Single(k => k.GetProperty("state").GetString() == "retired");
        Assert.True(retired.GetProperty("expiresAt").GetDateTimeOffset() >= retired.GetProperty("retiredAt").GetDateTimeOffset().AddHours(8),
            "a retired key stays published for at least a token's lifetime");
        Assert.All(after.EnumerateArray(), k => Assert.False(k.TryGetProperty("privateKey", out _)));

        var signedAfter = await SignInAsync();
        Assert.Equal(next, new JsonWebToken(signedAfter).Kid);
        // Catalog knew the next key before it signed anything: the first request with a new token is accepted.
        Assert.Equal(HttpStatusCode.OK, await CatalogStatusAsync(signedAfter));
        Assert.Equal(HttpStatusCode.OK, await CatalogStatusAsync(before));
        Assert.Equal(HttpStatusCode.OK, (await ClientWith(before).GetAsync("/api/directory/account")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ClientWith(signedAfter).GetAsync("/api/directory/account")).StatusCode);
        Assert.Equal(Sorted(newNext, next, current), await JwksKidsAsync());
    }

    [Fact]
    public async Task A_service_that_missed_a_published_key_fetches_it_when_a_token_names_it()
    {
        var token = await SignInAsync();
        Assert.Equal(HttpStatusCode.OK, await CatalogStatusAsync(token));

        // Two rotations before Catalog refreshes: the key that signs now is one Catalog has never seen.
        using var operatorClient = ClientWith(token);
        (await operatorClient.PostAsync("/api/directory/operations/signing-keys/rotate", null)).EnsureSuccessStatusCode();
        (await operatorClient.PostAsync("/api/directory/operations/signing-keys/rotate", null)).EnsureSuccessStatusCode();
        var unseen = await SignInAsync();

        await Eventually.HoldsAsync(async () => await CatalogStatusAsync(unseen) == HttpStatusCode.OK, TimeSpan.FromSeconds(90),
            "Catalog to fetch the keys again for a token whose key it does not know");
        Assert.Equal(HttpStatusCode.OK, await CatalogStatusAsync(token));
    }

    [Fact]
    public async Task An_expired_retired_key_is_dropped_at_the_next_rotation()
    {
        var token = await SignInAsync();
        using var operatorClient = ClientWith(token);
        (await operatorClient.PostAsync("/api/directory/operations/signing-keys/rotate", null)).EnsureSuccessStatusCode();
        var retired = Kid(await ListKeysAsync(token), "retired");

        // As if a token's lifetime had passed since.
        await CountAsync("with expired as (update signing_keys set expires_at = now() - interval '1 second' where state = 'retired' returning 1) select count(*) from expired");
        (await operatorClient.PostAsync("/api/directory/operations/signing-keys/rotate", null)).EnsureSuccessStatusCode();

        Assert.DoesNotContain(retired, await JwksKidsAsync());
        Assert.DoesNotContain(retired, (await ListKeysAsync(await SignInAsync())).EnumerateArray().Select(k => k.GetProperty("kid").GetString()));
        // Only a token that had expired anyway was signed by it; one forged with the dropped key is refused.
        Assert.Equal(HttpStatusCode.Unauthorized, (await ClientWith(token).GetAsync("/api/directory/account")).StatusCode);
        Assert.Equal(0, await CountAsync($"select count(*) from signing_keys where key_id = '{retired}'"));
    }

    [Theory]
    [InlineData(Roles.SchoolAdmin)]
    [InlineData(Roles.DistrictAdmin)]
    [InlineData(Roles.Teacher)]
    public async Task Only_the_platform_operator_sees_or_rotates_the_keys(string role)
    {
        var before = await JwksKidsAsync();
        using var client = ClientWith(Tokens.For(role, orgPath: "P1"));
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/api/directory/operations/signing-keys/rotate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/directory/operations/signing-keys")).StatusCode);
        Assert.Equal(before, await JwksKidsAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await DirectoryService.CreateClient().PostAsync("/api/directory/operations/signing-keys/rotate", null)).StatusCode);
    }

    private async Task<string> SignInAsync()
    {
        using var response = await PostSignInAsync("operator", OperatorPassword);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
    }

    private async Task<JsonElement> ListKeysAsync(string token) =>
        await ClientWith(token).GetFromJsonAsync<JsonElement>("/api/directory/operations/signing-keys");

    private async Task<string?[]> JwksKidsAsync() =>
        [.. (await DirectoryService.CreateClient().GetFromJsonAsync<JsonElement>("/.well-known/jwks.json"))
            .GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()).Order()];

    private static string?[] Sorted(params string[] kids) => [.. kids.Order()];

    private async Task<HttpStatusCode> CatalogStatusAsync(string token)
    {
        using var client = _catalog.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.GetAsync("/api/catalog/years");
        return response.StatusCode;
    }

    private static string Kid(JsonElement keys, string state) =>
        keys.EnumerateArray().Single(k => k.GetProperty("state").GetString() == state).GetProperty("kid").GetString()!;
}
