using System.Net;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Services.Credits;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// Audit records are chained after their actions commit, by the sealers of the service's replicas: many audited
/// writes at once, on two replicas of one database, end up chained exactly once each, gapless and intact, with nobody
/// reading the trail; a record of a rolled-back change never appears; and nothing but the sealer takes a waiting
/// record away or edits it.
/// </summary>
public sealed class AuditSealerTests : CreditsTestBase
{
    private const string Audit = "/api/credits/operations/audit";

    private static readonly AuditActor Operator = new(Guid.NewGuid(), "运营甲", Roles.PlatformOperator, "37", "10.0.0.7", null);

    private async Task<long> ChainedAsync() => await CountAsync("select count(*) from audit_records");

    private async Task<long> PendingAsync() => await CountAsync("select count(*) from audit_pending");

    [Fact]
    public async Task Concurrent_audited_writes_on_two_replicas_are_chained_once_each_gapless_and_intact_without_anyone_reading()
    {
        var connectionString = CreditsService.Services.GetRequiredService<DatabaseMigrations>().ConnectionString;
        await using var second = await ServiceFactory<CreditsApi>.CreateAsync(await TestServers.GetAsync(), Tokens, CreditsApi.DatabaseName,
            new Dictionary<string, string?> { [$"ConnectionStrings:{CreditsApi.DatabaseName}"] = connectionString });
        var token = Tokens.For(Roles.PlatformOperator);
        HttpClient Client(bool useSecond)
        {
            var client = useSecond ? second.CreateClient() : CreditsService.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", token);
            return client;
        }

        // 200 changes over 16 connections of each replica's data source, every tenth of them rolled back, and requests
        // to both replicas at the same time.
        const int Changes = 200, Connections = 16, Requests = 16;
        var dataSources = new[] { Db, second.Services.GetRequiredService<NpgsqlDataSource>() };
        var next = -1;
        var writers = Enumerable.Range(0, Connections).Select(c => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Changes)
            {
                await using var unitOfWork = await UnitOfWork.BeginAsync(dataSources[c % 2], CancellationToken.None);
                var rolledBack = i % 10 == 9;
                await AuditTrail.RecordAsync(unitOfWork, Operator, "test-change-made", "test", rolledBack ? $"rolled-back-{i}" : $"change-{i}",
                    $"并发写入第 {i} 条", CancellationToken.None);
                if (!rolledBack)
                {
                    await unitOfWork.CommitAsync(CancellationToken.None);
                }
            }
        }));
        var requests = Enumerable.Range(0, Requests).Select(i => Send(Client(i % 2 == 1), HttpMethod.Post, $"/api/credits/years/{Today.Year}/reopen",
            new { until = Today.AddDays(1 + i), reason = $"并发补登 {i}" }, HttpStatusCode.Created));
        await Task.WhenAll(writers.Concat(requests));

        const int Committed = Changes - Changes / 10 + Requests;
        // Nobody reads the trail: the sealers, woken by the commits or by their poll, chain everything on their own.
        await Eventually.HoldsAsync(async () => await PendingAsync() == 0 && await ChainedAsync() == Committed, TimeSpan.FromMinutes(2),
            $"the sealers chain all {Committed} committed records");

        await using var connection = await Db.OpenConnectionAsync();
        Assert.Equal(Enumerable.Range(1, Committed).Select(i => (long)i),
            await connection.QueryAsync<long>("select seq from audit_records order by seq"));
        var targets = (await connection.QueryAsync<string>("select target_id from audit_records where action = 'test-change-made'")).ToList();
        Assert.Equal(Enumerable.Range(0, Changes).Where(i => i % 10 != 9).Select(i => $"change-{i}").Order(), targets.Order());
        Assert.Equal(Requests, await CountAsync("select count(*) from audit_records where action = 'credit-year-reopened'"));

        var verification = await Send(Client(true), HttpMethod.Get, $"{Audit}/verify", null, HttpStatusCode.OK);
        Assert.True(verification.GetProperty("intact").GetBoolean(), verification.ToString());
        Assert.Equal(Committed, verification.GetProperty("checked").GetInt64());
        Assert.Equal(0, verification.GetProperty("pending").GetInt64());
    }

    [Fact]
    public async Task A_record_of_a_rolled_back_change_never_appears_and_a_committed_one_is_there_for_the_auditor_at_once()
    {
        await using (var unitOfWork = await UnitOfWork.BeginAsync(Db, CancellationToken.None))
        {
            await AuditTrail.RecordAsync(unitOfWork, Operator, "test-change-made", "test", "abandoned", "未提交的修改", CancellationToken.None);
            // Disposed without a commit: the change and its record are rolled back together.
        }
        await using (var unitOfWork = await UnitOfWork.BeginAsync(Db, CancellationToken.None))
        {
            await AuditTrail.RecordAsync(unitOfWork, Operator, "test-change-made", "test", "kept", "已提交的修改", CancellationToken.None);
            await unitOfWork.CommitAsync(CancellationToken.None);
        }

        var page = await Send(As(Roles.Auditor), HttpMethod.Get, Audit, null, HttpStatusCode.OK);
        var record = Assert.Single(page.GetProperty("records").EnumerateArray());
        Assert.Equal("kept", record.GetProperty("targetId").GetString());
        Assert.Equal(1, record.GetProperty("seq").GetInt64());
        Assert.Equal("运营甲", record.GetProperty("actorLogin").GetString());
        Assert.Equal(0, await PendingAsync());
        Assert.Equal(0, await CountAsync("select count(*) from audit_records where target_id = 'abandoned'"));
    }

    [Fact]
    public async Task A_waiting_record_cannot_be_edited_or_taken_away_except_by_the_sealer()
    {
        await using var connection = await Db.OpenConnectionAsync();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await AuditTrail.RecordAsync(connection, transaction, Operator, "test-change-made", "test", "waiting", "等待链入", CancellationToken.None);
            await transaction.CommitAsync();
        }

        // Refused for the whole statement, whether or not the sealer has taken the record already.
        foreach (var sql in new[] { "delete from audit_pending", "update audit_pending set summary = '改'", "truncate audit_pending" })
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync(sql));
            Assert.Equal("42501", refused.SqlState);
            Assert.Contains("audit_pending", refused.MessageText);
        }

        var verification = await Send(As(Roles.Auditor), HttpMethod.Get, $"{Audit}/verify", null, HttpStatusCode.OK);
        Assert.True(verification.GetProperty("intact").GetBoolean());
        Assert.Equal(1, verification.GetProperty("checked").GetInt64());
        Assert.Equal(0, verification.GetProperty("pending").GetInt64());
        Assert.Equal("waiting", await connection.ExecuteScalarAsync<string>("select target_id from audit_records where seq = 1"));
    }
}
