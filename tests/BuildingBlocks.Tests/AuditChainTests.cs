using TrainingPlatform.BuildingBlocks.Auditing;
using Xunit;

namespace TrainingPlatform.BuildingBlocks.Tests;

/// <summary>The pure rules of the audit chain: what a hash covers, and where a walk finds the first broken link.</summary>
public sealed class AuditChainTests
{
    private static readonly Guid Account = Guid.Parse("0190f5c2-0000-7000-8000-000000000001");

    private static AuditRecord Draft(string summary = "启用学分政策 p1") =>
        new(0, new DateTimeOffset(2026, 3, 1, 8, 30, 15, TimeSpan.FromHours(8)).AddTicks(1234567), Account, "运营", "platform_operator", "",
            "credit-policy-activated", "credit-policy", "p1", summary, "10.0.0.7", "4bf92f3577b34da6a3ce929d0e0e4736", "", "");

    private static List<AuditRecord> Chain(int length)
    {
        var records = new List<AuditRecord>();
        for (var i = 0; i < length; i++)
        {
            records.Add(AuditChain.Seal(Draft($"第 {i + 1} 次"), i, i == 0 ? null : records[^1].Hash));
        }
        return records;
    }

    private static AuditChainWalker Walk(IEnumerable<AuditRecord> records)
    {
        var walker = new AuditChainWalker();
        foreach (var record in records)
        {
            if (!walker.Accept(record))
            {
                break;
            }
        }
        return walker;
    }

    [Fact]
    public void The_canonical_form_is_fixed_utc_to_the_microsecond_and_ignores_the_hashes()
    {
        var record = Draft() with { Seq = 7 };
        var canonical = AuditChain.Canonical(record);
        Assert.Contains("\"2026-03-01T00:30:15.123456Z\"", canonical);
        Assert.StartsWith("[\"7\",", canonical);
        Assert.Equal(canonical, AuditChain.Canonical(record with { PrevHash = "x", Hash = "y" }));
        // Same instant given in another offset, or with sub-microsecond ticks, serialises the same.
        Assert.Equal(canonical, AuditChain.Canonical(record with { At = record.At.ToUniversalTime().AddTicks(-(record.At.Ticks % 10)) }));
    }

    [Fact]
    public void A_field_that_could_run_into_the_next_does_not_collide()
    {
        var a = Draft() with { Seq = 1, TargetKind = "ab", TargetId = "c" };
        var b = Draft() with { Seq = 1, TargetKind = "a", TargetId = "bc" };
        Assert.NotEqual(AuditChain.HashOf(AuditChain.Genesis, a), AuditChain.HashOf(AuditChain.Genesis, b));
        Assert.NotEqual(AuditChain.HashOf(AuditChain.Genesis, Draft() with { ClientAddress = null }),
            AuditChain.HashOf(AuditChain.Genesis, Draft() with { ClientAddress = "" }));
    }

    [Fact]
    public void Sealing_links_each_record_to_the_one_before()
    {
        var chain = Chain(3);
        Assert.Equal([1L, 2, 3], chain.Select(r => r.Seq));
        Assert.Equal(AuditChain.Genesis, chain[0].PrevHash);
        Assert.Equal(chain[0].Hash, chain[1].PrevHash);
        Assert.Equal(64, chain[2].Hash.Length);
        var walker = Walk(chain);
        Assert.Null(walker.Break);
        Assert.Equal(3, walker.Checked);
    }

    [Fact]
    public void An_edited_record_is_found_at_its_own_seq()
    {
        var chain = Chain(4);
        chain[1] = chain[1] with { Summary = "改过的摘要" };
        var walker = Walk(chain);
        Assert.Equal(2, walker.Break!.Seq);
        Assert.Contains("哈希不一致", walker.Break.Problem);
        Assert.Equal(1, walker.Checked);
    }

    [Fact]
    public void An_edited_record_whose_hash_was_recomputed_is_found_at_the_next_link()
    {
        var chain = Chain(4);
        var forged = chain[1] with { ActorLogin = "别人" };
        chain[1] = forged with { Hash = AuditChain.HashOf(forged.PrevHash, forged) };
        var walker = Walk(chain);
        Assert.Equal(3, walker.Break!.Seq);
        Assert.Contains("第 2 条", walker.Break.Problem);
    }

    [Fact]
    public void A_deleted_record_is_reported_as_the_missing_seq()
    {
        var chain = Chain(4);
        chain.RemoveAt(2);
        var walker = Walk(chain);
        Assert.Equal(3, walker.Break!.Seq);
        Assert.Contains("缺少第 3 条", walker.Break.Problem);
    }

    [Fact]
    public void A_first_record_not_starting_from_genesis_is_refused()
    {
        var first = AuditChain.Seal(Draft(), 0, new string('a', 64));
        Assert.Equal(1, Walk([first]).Break!.Seq);
    }
}
