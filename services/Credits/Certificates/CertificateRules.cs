using System.Globalization;
using TrainingPlatform.BuildingBlocks.Text;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Services.Credits.Compliance;
using TrainingPlatform.Services.Credits.Policies;

namespace TrainingPlatform.Services.Credits.Certificates;

/// <summary>A valid certificate a teacher holds, and the policy version it was issued under (none for one issued before versions were kept).</summary>
public sealed record HeldCertificate(Guid Id, string Number, Guid TeacherId, int CycleStart, int CycleEnd, DateTimeOffset IssuedAt, string? PolicyCode,
    int? PolicyVersion);

public static class CorrectionKinds
{
    /// <summary>A ledger entry reversed (negative hours, naming the original).</summary>
    public const string Reversal = "reversal";
    /// <summary>A year recorded as failed (opted out, dropped out, failed the assessment).</summary>
    public const string FailedYear = "failed_year";
}

/// <summary>
/// A change to a teacher's records that can take away what a certificate was issued for. A reversal carries the
/// reversed entry's kind of credit and negative hours, so that undoing it is adding it back.
/// </summary>
public sealed record Correction(string Kind, Guid? EntryId, string Title, decimal Hours, string Category, string Mode, string Level, string Source, int Year,
    string? Reason, string? By, DateTimeOffset At);

public abstract record CertificateReview
{
    public sealed record Keep : CertificateReview;

    public sealed record Revoke(string Reason, Guid? CorrectionEntryId) : CertificateReview;
}

/// <summary>
/// When a certificate is issued and when it is taken back. Pure. A certificate is a record of a cycle that was met,
/// not a mirror of the active policy:
/// <list type="bullet">
/// <item>it is issued when the teacher meets the active policy and holds no valid certificate for an overlapping cycle
/// (so switching policies never issues a second one);</item>
/// <item>it is judged afterwards only by the policy version it was issued under — a later policy binds only the
/// teachers it finds uncertified — and only a correction of the records since it was issued can take it back: the
/// correction must be what breaks it, i.e. the records meet that version without the correction and fail it with it.
/// A change of policy or of the teacher's profile (becoming a class teacher) never revokes.</item>
/// </list>
/// After a revocation the teacher may be certified again, under a new number: a number once revoked stays revoked for
/// anyone who checked it.
/// </summary>
public static class CertificateRules
{
    /// <summary>
    /// A reversal is stamped when the request arrives and committed a moment later, so it can be missing from the
    /// balances a certificate was judged on although it is stamped just before the certificate: those count too.
    /// </summary>
    public static readonly TimeSpan Overlap = TimeSpan.FromMinutes(1);

    private const int NamedCorrections = 3;

    public static bool ShouldIssue(ComplianceResult underActivePolicy, IEnumerable<HeldCertificate> valid) =>
        underActivePolicy.CertificateEligible
        && !valid.Any(c => c.CycleStart <= underActivePolicy.CycleEnd && c.CycleEnd >= underActivePolicy.CycleStart);

    /// <summary>The corrections that can matter to <paramref name="certificate"/>: in its cycle, made since it was issued.</summary>
    public static IReadOnlyList<Correction> Since(HeldCertificate certificate, IEnumerable<Correction> corrections) =>
        [.. corrections.Where(c => c.Year >= certificate.CycleStart && c.Year <= certificate.CycleEnd && c.At > certificate.IssuedAt - Overlap)
            .OrderBy(c => c.At)];

    /// <summary>
    /// Keeps <paramref name="certificate"/> or revokes it, judged by <paramref name="issuedUnder"/> on the teacher's
    /// records today.
    /// </summary>
    public static CertificateReview Review(HeldCertificate certificate, CreditPolicy issuedUnder, TeacherFacts teacher, IReadOnlyList<Credit> credits,
        IReadOnlySet<int> failedYears, IEnumerable<Correction> corrections, DateOnly today)
    {
        var since = Since(certificate, corrections);
        if (since.Count == 0)
        {
            return new CertificateReview.Keep();
        }
        var now = ComplianceRules.Evaluate(issuedUnder, teacher, InCycle(credits, certificate), failedYears, today, certificate.CycleStart);
        if (now.CertificateEligible)
        {
            return new CertificateReview.Keep();
        }
        var withoutCorrections = credits.Concat(since.Where(c => c.Kind == CorrectionKinds.Reversal)
            .Select(c => new Credit(-c.Hours, c.Category, c.Mode, c.Level, c.Source, c.Year))).ToList();
        var failedWithoutCorrections = failedYears.Except(since.Where(c => c.Kind == CorrectionKinds.FailedYear).Select(c => c.Year)).ToHashSet();
        var before = ComplianceRules.Evaluate(issuedUnder, teacher, InCycle(withoutCorrections, certificate), failedWithoutCorrections, today,
            certificate.CycleStart);
        if (!before.CertificateEligible)
        {
            // Something other than a correction broke it (the teacher's profile changed): not a reason to take back a record.
            return new CertificateReview.Keep();
        }
        return new CertificateReview.Revoke(Reason(since, issuedUnder, now), since.LastOrDefault(c => c.EntryId is not null)?.EntryId);
    }

    /// <summary>
    /// The revocation reason: which corrections, by whom and when, and what the cycle lacks since, under which policy.
    /// </summary>
    public static string Reason(IReadOnlyList<Correction> corrections, CreditPolicy issuedUnder, ComplianceResult now)
    {
        var named = string.Join("；", corrections.TakeLast(NamedCorrections).Select(Describe));
        var more = corrections.Count > NamedCorrections ? $"等 {corrections.Count} 项更正" : "";
        return $"学时记录更正：{named}{more}。更正后按发证所依据的政策“{issuedUnder.Name}”（{issuedUnder.Code} 第 {issuedUnder.Version} 版）"
            + $"不再满足 {now.CycleStart}–{now.CycleEnd} 周期要求：{now.Summary}";
    }

    private static string Describe(Correction c)
    {
        var day = ProvinceCalendar.DayOf(c.At).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var by = string.IsNullOrWhiteSpace(c.By) ? "" : $"由 {c.By} ";
        var why = string.IsNullOrWhiteSpace(c.Reason) ? "" : $"（原因：{c.Reason}）";
        return c.Kind == CorrectionKinds.FailedYear
            ? $"{day} 登记 {c.Year} 年度考核不合格{why}"
            : $"{day} {by}冲销 {c.Year} 年“{c.Title}” {Math.Abs(c.Hours).ToString("0.#", CultureInfo.InvariantCulture)} 学时{why}";
    }

    private static List<Credit> InCycle(IEnumerable<Credit> credits, HeldCertificate certificate) =>
        [.. credits.Where(c => c.Hours != 0 && c.Year >= certificate.CycleStart && c.Year <= certificate.CycleEnd)];

    /// <summary>继续教育合格证 numbers: the cycle and a province-wide sequence, e.g. JXJY-2026-00000042.</summary>
    public static string Number(int cycleStart, long sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"JXJY-{cycleStart}-{sequence:D8}");

    /// <summary>A name as shown to anyone verifying a number: the surname, the rest hidden (张**).</summary>
    public static string MaskName(string name) => PersonalData.MaskName(name);
}
