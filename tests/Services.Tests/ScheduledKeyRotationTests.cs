using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;
using TrainingPlatform.Services.Directory;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>Two Directory replicas on one database, both rotating on a (very short) schedule.</summary>
public sealed class ScheduledKeyRotationTests : DirectoryTestBase
{
    private const string OperatorPassword = "Operator-2026-test";
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private ServiceFactory<DirectoryApi> _secondReplica = null!;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Directory:BootstrapOperator:Password"] = OperatorPassword,
        ["Authentication:KeyRotation:Interval"] = Interval.ToString(),
        ["Authentication:KeyRotation:CheckInterval"] = "00:00:00.100",
        ["Authentication:KeyRotation:ReloadInterval"] = "00:00:00.500",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var connectionString = DirectoryService.Services.GetRequiredService<IConfiguration>()[$"ConnectionStrings:{DirectoryApi.DatabaseName}"];
        _secondReplica = await ServiceFactory<DirectoryApi>.CreateAsync(await TestServers.GetAsync(), Tokens, DirectoryApi.DatabaseName + "_unused",
            new Dictionary<string, string?>(Settings) { [$"ConnectionStrings:{DirectoryApi.DatabaseName}"] = connectionString });
    }

    public override async Task DisposeAsync()
    {
        await _secondReplica.DisposeAsync();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task Replicas_rotate_once_per_interval_between_them_and_each_signs_with_the_current_key()
    {
        await Eventually.HoldsAsync(async () => await CountAsync("select count(*) from signing_keys where state = 'retired'") >= 3,
            TimeSpan.FromSeconds(120), "three scheduled rotations"); // generous: a loaded CI machine checks the schedule slowly

        await using var connection = await DirectoryService.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        var activations = (await connection.QueryAsync<DateTimeOffset>(
            "select activated_at from signing_keys where activated_at is not null order by activated_at")).AsList();
        // Had both replicas rotated for one due date, two activations would lie closer than an interval.
        Assert.All(activations.Zip(activations.Skip(1)), pair => Assert.True(pair.Second - pair.First >= Interval,
            $"activations {pair.First:O} and {pair.Second:O} are closer than the interval"));
        Assert.Equal(1, await CountAsync("select count(*) from signing_keys where state = 'current'"));
        Assert.Equal(1, await CountAsync("select count(*) from signing_keys where state = 'next'"));

        foreach (var replica in new[] { DirectoryService, _secondReplica })
        {
            await Eventually.HoldsAsync(async () =>
            {
                using var response = await replica.CreateClient().PostAsJsonAsync("/api/directory/sign-in", new { login = "operator", password = OperatorPassword });
                var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
                var current = await connection.ExecuteScalarAsync<string>("select key_id from signing_keys where state = 'current'");
                var previous = await connection.ExecuteScalarAsync<string>(
                    "select key_id from signing_keys where state = 'retired' order by retired_at desc limit 1");
                // A replica may sign with the key retired a moment ago until it rereads the keys; never with an older one.
                return new JsonWebToken(token).Kid == current || new JsonWebToken(token).Kid == previous;
            }, TimeSpan.FromSeconds(60), "each replica to sign with the current key");
        }
    }
}
