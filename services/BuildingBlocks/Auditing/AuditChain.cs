using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace TrainingPlatform.BuildingBlocks.Auditing;

/// <summary>One link of a service's audit trail, as stored.</summary>
public sealed record AuditRecord(
    long Seq,
    DateTimeOffset At,
    Guid ActorAccountId,
    string ActorLogin,
    string ActorRole,
    string ActorOrganisationPath,
    string Action,
    string TargetKind,
    string TargetId,
    string Summary,
    string? ClientAddress,
    string? TraceId,
    string PrevHash,
    string Hash);

/// <summary>
/// The pure rules of the chain: how a record is serialised for hashing, how its hash is made, and how a walk in seq
/// order finds the first broken link. No I/O, so the rules are tested on their own and the same code writes and checks.
/// </summary>
public static class AuditChain
{
    /// <summary>The previous hash of record 1.</summary>
    public static readonly string Genesis = new('0', 64);

    /// <summary>
    /// The record's fields (not its hashes) in a fixed order as a JSON array: unambiguous, since every value is quoted
    /// and escaped, and the same on every machine. Time is UTC to the microsecond, which is what PostgreSQL keeps.
    /// </summary>
    public static string Canonical(AuditRecord record) => JsonSerializer.Serialize(new string?[]
    {
        record.Seq.ToString(CultureInfo.InvariantCulture),
        Timestamp(record.At),
        record.ActorAccountId.ToString("D"),
        record.ActorLogin,
        record.ActorRole,
        record.ActorOrganisationPath,
        record.Action,
        record.TargetKind,
        record.TargetId,
        record.Summary,
        record.ClientAddress,
        record.TraceId,
    });

    /// <summary>Lower-case hex SHA-256 over the previous hash, a line break, and the canonical form.</summary>
    public static string HashOf(string prevHash, AuditRecord record) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(prevHash + "\n" + Canonical(record))));

    /// <summary>A time as the database will give it back: UTC, whole microseconds.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - utc.Ticks % 10, TimeSpan.Zero);
    }

    /// <summary>Seals a new record as the link after (<paramref name="lastSeq"/>, <paramref name="lastHash"/>).</summary>
    public static AuditRecord Seal(AuditRecord draft, long lastSeq, string? lastHash)
    {
        var prev = lastHash ?? Genesis;
        var record = draft with { Seq = lastSeq + 1, At = Truncate(draft.At), PrevHash = prev, Hash = "" };
        return record with { Hash = HashOf(prev, record) };
    }

    private static string Timestamp(DateTimeOffset at) =>
        Truncate(at).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}

/// <summary>The first broken link of a chain: where, and what differs (in Chinese, for the auditor).</summary>
public sealed record AuditBreak(long Seq, string Problem);

/// <summary>Walks records in seq order, one at a time, and stops at the first that does not follow from the one before.</summary>
public sealed class AuditChainWalker
{
    private long _lastSeq;
    private string _lastHash;

    /// <summary>A walk from the first record of the chain.</summary>
    public AuditChainWalker() : this(0, AuditChain.Genesis)
    {
    }

    /// <summary>
    /// A walk that starts after records already archived: the first record to check is <paramref name="lastSeq"/> + 1,
    /// and it must follow <paramref name="lastHash"/>, the hash of the last archived record.
    /// </summary>
    public AuditChainWalker(long lastSeq, string lastHash)
    {
        _lastSeq = lastSeq;
        _lastHash = lastHash;
    }

    public long Checked { get; private set; }

    public AuditBreak? Break { get; private set; }

    /// <summary>Checks the next record; false once the chain is broken (the break is kept, later records are not looked at).</summary>
    public bool Accept(AuditRecord record)
    {
        if (Break is not null)
        {
            return false;
        }
        var expectedSeq = _lastSeq + 1;
        if (record.Seq != expectedSeq)
        {
            Break = new AuditBreak(expectedSeq, record.Seq > expectedSeq
                ? $"缺少第 {expectedSeq} 条记录（下一条为第 {record.Seq} 条），记录可能被删除"
                : $"序号 {record.Seq} 重复或顺序错误，应为 {expectedSeq}");
            return false;
        }
        if (!string.Equals(record.PrevHash, _lastHash, StringComparison.Ordinal))
        {
            Break = new AuditBreak(record.Seq, expectedSeq == 1
                ? "第一条记录的前一哈希（prevHash）不是链的起点"
                : $"前一哈希（prevHash）与第 {_lastSeq} 条记录（或已归档的最后一条）的哈希不一致，前一条记录可能被改动或替换");
            return false;
        }
        var computed = AuditChain.HashOf(record.PrevHash, record);
        if (!string.Equals(record.Hash, computed, StringComparison.Ordinal))
        {
            Break = new AuditBreak(record.Seq, "记录内容与其哈希不一致，该条记录的内容可能被改动");
            return false;
        }
        _lastSeq = record.Seq;
        _lastHash = record.Hash;
        Checked++;
        return true;
    }
}
