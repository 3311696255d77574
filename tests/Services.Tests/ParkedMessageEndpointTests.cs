using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Mentoring;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Credits;
using TrainingPlatform.Services.Credits.Ledger;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// The operator's endpoints for parked messages on a real service (Credits) and its real consumer: what is parked is
/// listed with the consumer's reason, a re-drive by id moves that message only, the inbox keeps an applied message
/// from posting twice, a message still poison is parked again with its reason, and only an operator may do any of it.
/// </summary>
public sealed class ParkedMessageEndpointTests : IAsyncLifetime
{
    private const string Parked = "/api/credits/operations/parked";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private static readonly DateOnly Today = ProvinceCalendar.Today(TimeProvider.System);

    private readonly TestTokens _tokens = new();
    private readonly ConsumeCounter _consumed = new();
    private ServiceFactory<CreditsApi> _credits = null!;

    public async Task InitializeAsync()
    {
        _credits = await ServiceFactory<CreditsApi>.CreateAsync(await TestServers.GetAsync(), _tokens, CreditsApi.DatabaseName);
        _credits.Services.GetRequiredService<IBus>().ConnectConsumeObserver(_consumed);
    }

    public async Task DisposeAsync() => await _credits.DisposeAsync();

    private string ActivityQueue => _credits.Services.GetRequiredService<IEndpointNameFormatter>().Consumer<MentoringActivityCreditedConsumer>();

    private HttpClient As(string role, string? orgPath = null)
    {
        var client = _credits.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _tokens.For(role, orgPath));
        return client;
    }

    private MentoringActivityCredited Activity(decimal hours) =>
        new(Guid.NewGuid(), Guid.NewGuid(), MentoringActivityKinds.SchoolSupport, "对口帮扶：送教下乡（S2校）", hours, CourseCategories.SchoolBased,
            DeliveryModes.SchoolBased, TrainingLevels.County, Today.Year, Today, "S2校管理员", DateTimeOffset.UtcNow);

    [Fact]
    public async Task An_operator_sees_the_reason_redrives_by_id_and_an_applied_message_posts_no_second_entry()
    {
        await CreditsDirect.KeepThisYearOpenAsync(_credits.Services, Today);
        var operatorClient = As(Roles.PlatformOperator);

        // A poison message: no hours. Credits refuses it for its own reason and parks it.
        var poisonId = NewId.NextGuid();
        await CreditsDirect.SendAsync<MentoringActivityCreditedConsumer, MentoringActivityCredited>(_credits.Services, Activity(0), poisonId);
        await QueueAsync(operatorClient, 1);
        // A good one, applied; then a copy of it parked too (its acknowledgement lost, its redelivery refused).
        var applied = Activity(4);
        var appliedId = NewId.NextGuid();
        await CreditsDirect.SendAsync<MentoringActivityCreditedConsumer, MentoringActivityCredited>(_credits.Services, applied, appliedId);
        await Eventually.HoldsAsync(async () => await EntriesAsync(applied) == 1, Patience, "the activity to be posted");
        await ParkCopyAsync(applied, appliedId);

        var queue = await QueueAsync(operatorClient, 2);
        var messages = queue.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal([poisonId.ToString(), appliedId.ToString()], messages.Select(m => m.GetProperty("messageId").GetString()));
        var poison = messages[0];
        Assert.Contains("学时 0 无效", poison.GetProperty("reason").GetString());
        Assert.EndsWith(nameof(PermanentMessageFailure), poison.GetProperty("exceptionType").GetString());
        Assert.Equal(nameof(MentoringActivityCredited), poison.GetProperty("messageType").GetString());
        Assert.True(poison.GetProperty("faultedAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-10));

        // By id: only the applied copy goes back, and the inbox lets it post nothing more.
        var moved = await SendAsync(operatorClient, $"{Parked}/{ActivityQueue}/redrive", new { messageIds = new[] { appliedId.ToString() } },
            HttpStatusCode.OK);
        Assert.Equal(1, moved.GetProperty("moved").GetInt32());
        await Eventually.HoldsAsync(() => Task.FromResult(_consumed.Completed(appliedId) == 2), Patience, "the re-driven copy to be consumed");
        Assert.Equal(1, await EntriesAsync(applied));
        Assert.Equal(poisonId.ToString(), Assert.Single((await QueueAsync(operatorClient, 1)).GetProperty("messages").EnumerateArray())
            .GetProperty("messageId").GetString());

        // All (the poison is still poison): it goes back, is refused again and parked again with its reason.
        var faultsBefore = _consumed.Faulted(poisonId);
        moved = await SendAsync(operatorClient, $"{Parked}/{ActivityQueue}/redrive", null, HttpStatusCode.OK);
        Assert.Equal(1, moved.GetProperty("moved").GetInt32());
        await Eventually.HoldsAsync(() => Task.FromResult(_consumed.Faulted(poisonId) > faultsBefore), Patience, "the poison to be consumed again");
        var again = Assert.Single((await QueueAsync(operatorClient, 1)).GetProperty("messages").EnumerateArray());
        Assert.Contains("学时 0 无效", again.GetProperty("reason").GetString());
        Assert.Equal(0, await CountAsync($"select count(*) from inbox_messages where message_id = '{poisonId}'"));

        // Each re-drive is in the audit trail, as the operator's, naming the queue (chained now, as the trail's readers do).
        await _credits.Services.GetRequiredService<AuditSealer>().SealPendingAsync(CancellationToken.None);
        Assert.Equal(2, await CountAsync(
            $"select count(*) from audit_records where action = 'parked-messages-redriven' and target_id = '{ActivityQueue}' and actor_role = '{Roles.PlatformOperator}'"));
    }

    [Fact]
    public async Task Bad_requests_are_refused_with_a_rule_and_only_an_operator_may_look_or_redrive()
    {
        var operatorClient = As(Roles.PlatformOperator);

        var unknown = await SendAsync(operatorClient, $"{Parked}/catalog-teacher-registered/redrive", null, HttpStatusCode.NotFound);
        Assert.Equal("unknown-queue", unknown.GetProperty("rule").GetString());
        Assert.Contains("catalog-teacher-registered", unknown.GetProperty("detail").GetString());

        var badId = await SendAsync(operatorClient, $"{Parked}/{ActivityQueue}/redrive", new { messageIds = new[] { "not-an-id" } },
            HttpStatusCode.BadRequest);
        Assert.Equal("invalid-message-id", badId.GetProperty("rule").GetString());
        Assert.Equal("messageIds[0]", badId.GetProperty("field").GetString());
        var none = await SendAsync(operatorClient, $"{Parked}/{ActivityQueue}/redrive", new { messageIds = Array.Empty<string>() },
            HttpStatusCode.BadRequest);
        Assert.Equal("out-of-range", none.GetProperty("rule").GetString());

        foreach (var (role, org) in new[] { (Roles.DistrictAdmin, "37/3716/371602"), (Roles.SchoolAdmin, "37/3716/371602/S1"), (Roles.Teacher, "37/3716/371602/S1") })
        {
            using var look = await As(role, org).GetAsync(Parked);
            Assert.Equal(HttpStatusCode.Forbidden, look.StatusCode);
            using var redrive = await As(role, org).PostAsJsonAsync($"{Parked}/{ActivityQueue}/redrive", new { });
            Assert.Equal(HttpStatusCode.Forbidden, redrive.StatusCode);
        }
        using var anonymous = await _credits.CreateClient().GetAsync(Parked);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        // Every receive queue of the service is listed, none with anything parked.
        var listed = await SendAsync(operatorClient, Parked, null, HttpStatusCode.OK, HttpMethod.Get);
        Assert.Contains(ActivityQueue, listed.EnumerateArray().Select(q => q.GetProperty("queue").GetString()));
        Assert.All(listed.EnumerateArray(), q => Assert.Equal(0, q.GetProperty("count").GetInt64()));
    }

    /// <summary>The activity queue's entry once exactly <paramref name="count"/> messages are parked in it.</summary>
    private async Task<JsonElement> QueueAsync(HttpClient client, int count)
    {
        JsonElement queue = default;
        await Eventually.HoldsAsync(async () =>
        {
            var all = await SendAsync(client, Parked, null, HttpStatusCode.OK, HttpMethod.Get);
            queue = all.EnumerateArray().Single(q => q.GetProperty("queue").GetString() == ActivityQueue);
            return queue.GetProperty("count").GetInt64() == count && queue.GetProperty("messages").GetArrayLength() == count;
        }, Patience, $"{count} messages parked in {ActivityQueue}_error");
        return queue;
    }

    private async Task ParkCopyAsync(MentoringActivityCredited message, Guid messageId)
    {
        var errorQueue = await _credits.Services.GetRequiredService<IBus>()
            .GetSendEndpoint(new Uri($"queue:{ParkedMessages.ErrorQueueOf(ActivityQueue)}"));
        await errorQueue.Send(message, ctx =>
        {
            ctx.MessageId = messageId;
            ctx.Headers.Set(MessageHeaders.Reason, "fault");
            ctx.Headers.Set(MessageHeaders.FaultMessage, "确认消息丢失后重投时被拒");
        });
    }

    private Task<long> EntriesAsync(MentoringActivityCredited activity) =>
        CountAsync($"select count(*) from ledger_entries where source_ref = 'mentoring:{activity.ActivityId}'");

    private async Task<long> CountAsync(string sql)
    {
        await using var connection = await _credits.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(sql);
    }

    private static async Task<JsonElement> SendAsync(HttpClient client, string path, object? body, HttpStatusCode expected,
        HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{request.Method} {path}: expected {expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>How often each message id finished its consumer, and how often it failed there.</summary>
    private sealed class ConsumeCounter : IConsumeObserver
    {
        private readonly ConcurrentDictionary<Guid, int> _completed = new();
        private readonly ConcurrentDictionary<Guid, int> _faulted = new();

        public int Completed(Guid id) => _completed.GetValueOrDefault(id);

        public int Faulted(Guid id) => _faulted.GetValueOrDefault(id);

        public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

        public Task PostConsume<T>(ConsumeContext<T> context) where T : class
        {
            if (context.MessageId is { } id)
            {
                _completed.AddOrUpdate(id, 1, (_, n) => n + 1);
            }
            return Task.CompletedTask;
        }

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class
        {
            if (context.MessageId is { } id)
            {
                _faulted.AddOrUpdate(id, 1, (_, n) => n + 1);
            }
            return Task.CompletedTask;
        }
    }
}
