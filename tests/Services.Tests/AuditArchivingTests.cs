using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Services.Credits;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// Archiving of audit records past retention, on a real Credits service: one pass moves exactly the old prefix of the
/// chain to a gzip'd JSON-lines file whose SHA-256 is recorded, the young records stay, the chain still verifies
/// across the cut, the run is itself audited, and outside the job a delete is still refused. Also the export.
/// </summary>
public sealed class AuditArchivingTests : CreditsTestBase
{
    private const string Audit = "/api/credits/operations/audit";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "audit-archives-" + Guid.NewGuid().ToString("N"));

    public override async Task InitializeAsync() =>
        CreditsService = await ServiceFactory<CreditsApi>.CreateAsync(await TestServers.GetAsync(), Tokens, CreditsApi.DatabaseName,
            new Dictionary<string, string?> { ["Audit:ArchiveFolder"] = _folder, ["Audit:Retention"] = "30.00:00:00" });

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (System.IO.Directory.Exists(_folder))
        {
            System.IO.Directory.Delete(_folder, recursive: true);
        }
    }

    private async Task AppendAsync(DateTimeOffset at, string summary)
    {
        await using var connection = await Db.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await AuditPendingStore.AddAsync(connection, transaction, new AuditRecord(0, at, Guid.NewGuid(), "运营", Roles.PlatformOperator, "",
            "credit-policy-activated", "credit-policy", "p-old", summary, "10.0.0.1", null, "", ""), default);
        await transaction.CommitAsync();
        // Chained now, in the order written, as the sealer would within the second.
        await AuditRows.SealAsync(CreditsService.Services);
    }

    [Fact]
    public async Task One_pass_archives_exactly_the_records_past_retention_and_the_chain_still_verifies()
    {
        var now = DateTimeOffset.UtcNow;
        // A configured retention of 30 days is raised to the 180-day floor: the record 100 days old stays.
        await AppendAsync(now.AddDays(-400), "很旧 1");
        await AppendAsync(now.AddDays(-300), "很旧 2");
        await AppendAsync(now.AddDays(-181), "很旧 3");
        await AppendAsync(now.AddDays(-100), "半年内");
        await AppendAsync(now.AddMinutes(-1), "刚才");

        var archiver = CreditsService.Services.GetRequiredService<AuditArchiver>();
        Assert.Equal(TimeSpan.FromDays(180), archiver.Retention);
        var archive = await archiver.RunOnceAsync(default);
        Assert.NotNull(archive);
        Assert.Equal((1L, 3L, 3L), (archive.FromSeq, archive.ToSeq, archive.RecordCount));

        // The file holds exactly those records, with their hashes, and its SHA-256 is the one recorded.
        var path = Path.Combine(_folder, archive.FileName);
        Assert.Equal(archive.FileSha256, Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path))));
        var lines = new List<AuditRecord>();
        await using (var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress))
        using (var reader = new StreamReader(gzip))
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                lines.Add(JsonSerializer.Deserialize<AuditRecord>(line, JsonSerializerOptions.Web)!);
            }
        }
        Assert.Equal(["很旧 1", "很旧 2", "很旧 3"], lines.Select(r => r.Summary));
        var fileWalk = new AuditChainWalker();
        Assert.All(lines, r => Assert.True(fileWalk.Accept(r)));
        Assert.Equal(archive.LastHash, lines[^1].Hash);

        // The old rows are gone, the young ones stay, and the run is recorded by the system.
        await AuditRows.SealAsync(CreditsService.Services);
        await using var connection = await Db.OpenConnectionAsync();
        Assert.Equal([4L, 5, 6], await connection.QueryAsync<long>("select seq from audit_records order by seq"));
        var page = await Send(As(Roles.Auditor), HttpMethod.Get, $"{Audit}?action={AuditArchiver.ArchivedAction}", null, HttpStatusCode.OK);
        var recorded = Assert.Single(page.GetProperty("records").EnumerateArray());
        Assert.Equal("system", recorded.GetProperty("actorLogin").GetString());
        Assert.Contains(archive.FileSha256, recorded.GetProperty("summary").GetString());

        var verification = await Send(As(Roles.Auditor), HttpMethod.Get, $"{Audit}/verify", null, HttpStatusCode.OK);
        Assert.True(verification.GetProperty("intact").GetBoolean(), verification.ToString());
        Assert.Equal(3, verification.GetProperty("checked").GetInt64());
        Assert.Equal(3, verification.GetProperty("archivedThroughSeq").GetInt64());
        Assert.Equal(1, verification.GetProperty("archives").GetInt32());
        var archives = await Send(As(Roles.PlatformOperator), HttpMethod.Get, $"{Audit}/archives", null, HttpStatusCode.OK);
        Assert.Equal(180, archives.GetProperty("retentionDays").GetInt32());
        Assert.Equal(archive.FileSha256, Assert.Single(archives.GetProperty("archives").EnumerateArray()).GetProperty("fileSha256").GetString());
        await Send(As(Roles.DistrictAdmin, "37/3716"), HttpMethod.Get, $"{Audit}/archives", null, HttpStatusCode.Forbidden);

        // Nothing more is old enough; new records still chain on; a delete outside the job is still refused.
        Assert.Null(await archiver.RunOnceAsync(default));
        await AppendAsync(now, "归档之后");
        Assert.True((await Send(As(Roles.Auditor), HttpMethod.Get, $"{Audit}/verify", null, HttpStatusCode.OK)).GetProperty("intact").GetBoolean());
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => connection.ExecuteAsync("delete from audit_records where seq = 4"));
        Assert.Contains("append-only", refused.MessageText);
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => connection.ExecuteAsync("delete from audit_archives"));
        Assert.Equal(4, await CountAsync($"select count(*) from audit_records where {AuditRows.NotSecurityEvents}"));

        // Removing the first record after the cut is found: it no longer follows the archive.
        await connection.ExecuteAsync("""
            alter table audit_records disable trigger audit_records_append_only;
            delete from audit_records where seq = 4;
            alter table audit_records enable trigger audit_records_append_only;
            """);
        verification = await Send(As(Roles.Auditor), HttpMethod.Get, $"{Audit}/verify", null, HttpStatusCode.OK);
        Assert.False(verification.GetProperty("intact").GetBoolean());
        Assert.Equal(4, verification.GetProperty("brokenAtSeq").GetInt64());
    }

    [Fact]
    public async Task Records_appended_after_an_archive_chain_on_from_what_remains()
    {
        await AppendAsync(DateTimeOffset.UtcNow.AddDays(-200), "旧");
        var archiver = CreditsService.Services.GetRequiredService<AuditArchiver>();
        var archive = await archiver.RunOnceAsync(default);
        Assert.Equal((1L, 1L), (archive!.FromSeq, archive.ToSeq));
        // Seq 2 is the archiving run itself, appended after seq 1 before seq 1 left.
        await AppendAsync(DateTimeOffset.UtcNow, "新");
        var verification = await Send(As(Roles.Auditor), HttpMethod.Get, $"{Audit}/verify", null, HttpStatusCode.OK);
        Assert.True(verification.GetProperty("intact").GetBoolean(), verification.ToString());
        Assert.Equal(2, verification.GetProperty("checked").GetInt64());
    }

    [Fact]
    public async Task The_export_is_a_workbook_of_the_filtered_records_and_is_itself_recorded()
    {
        // An empty trail exports an empty sheet.
        using (var empty = await As(Roles.PlatformOperator).GetAsync($"{Audit}/export"))
        {
            Assert.True(empty.StatusCode == HttpStatusCode.OK, await empty.Content.ReadAsStringAsync());
        }
        await AppendAsync(DateTimeOffset.UtcNow.AddMinutes(-2), "导出之前");
        using var response = await As(Roles.Auditor).GetAsync($"{Audit}/export?action=credit-policy-activated");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", response.Content.Headers.ContentType?.MediaType);
        using var workbook = new ClosedXML.Excel.XLWorkbook(await response.Content.ReadAsStreamAsync());
        var sheet = workbook.Worksheet(1);
        Assert.Equal("序号", sheet.Cell(1, 1).GetString());
        Assert.Equal("导出之前", sheet.Cell(2, 10).GetString());
        Assert.True(sheet.Cell(3, 1).IsEmpty());

        var page = await Send(As(Roles.Auditor), HttpMethod.Get, $"{Audit}?action={AuditEndpoints.ExportedAction}", null, HttpStatusCode.OK);
        Assert.Equal([Roles.Auditor, Roles.PlatformOperator], page.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("actorRole").GetString()));
        await Send(As(Roles.DistrictAdmin, "37/3716"), HttpMethod.Get, $"{Audit}/export", null, HttpStatusCode.Forbidden);
        await Send(As(Roles.Auditor), HttpMethod.Get, $"{Audit}/export?from=2026-05-01T00:00:00Z&to=2026-04-01T00:00:00Z", null, HttpStatusCode.BadRequest);
    }
}
