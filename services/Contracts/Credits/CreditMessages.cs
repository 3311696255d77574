namespace TrainingPlatform.Contracts.Credits;

/// <summary>Where a credit comes from.</summary>
public static class CreditSources
{
    public const string CourseCompletion = "course_completion";   // 课程完成（自动）
    public const string SchoolBased = "school_based";             // 校本研修（学校登记）
    public const string ExternalTraining = "external_training";   // 外出培训（教师申请）
    public const string DegreeUpgrade = "degree_upgrade";         // 学历提升
    public const string Mentoring = "mentoring";                  // 指导/带教活动

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [CourseCompletion] = "课程完成",
        [SchoolBased] = "校本研修",
        [ExternalTraining] = "外出培训",
        [DegreeUpgrade] = "学历提升",
        [Mentoring] = "指导带教",
    };
}

/// <summary>
/// A ledger entry was posted. Entries are never edited: a correction is a second entry with negative hours whose
/// <see cref="ReversesEntryId"/> names the first.
/// </summary>
public sealed record CreditPosted(
    Guid EntryId,
    Guid TeacherId,
    decimal Hours,
    string Category,
    string Mode,
    string Level,
    string Source,
    string Title,
    int Year,
    int CycleStart,
    Guid? ReversesEntryId,
    string? Reason,
    DateTimeOffset PostedAt);

/// <summary>A step of an offline-credit application was decided (the portal tells the teacher).</summary>
public sealed record CreditApplicationDecided(
    Guid ApplicationId,
    Guid TeacherId,
    string Title,
    string Step,
    string Decision,
    string? Reason,
    string Status,
    DateTimeOffset DecidedAt);

/// <summary>
/// A continuing-education certificate (继续教育合格证) was issued for a cycle, under a credit policy's version (v2: the
/// policy; null from senders before it).
/// </summary>
public sealed record CertificateIssued(Guid CertificateId, string Number, Guid TeacherId, int CycleStart, int CycleEnd, DateTimeOffset IssuedAt,
    string? PolicyCode = null, int? PolicyVersion = null);

/// <summary>
/// A certificate was revoked because a correction of the records broke the cycle's compliance; the reason names the
/// correction (v2: the reversing ledger entry, when the correction was one; null from senders before it).
/// </summary>
public sealed record CertificateRevoked(Guid CertificateId, string Number, Guid TeacherId, string Reason, DateTimeOffset RevokedAt,
    Guid? CorrectionEntryId = null);

/// <summary>A teacher's standing on their cycle changed (e.g. became at risk); the portal warns them.</summary>
public sealed record ComplianceChanged(Guid TeacherId, int CycleStart, string Status, string Summary, DateTimeOffset EvaluatedAt);
