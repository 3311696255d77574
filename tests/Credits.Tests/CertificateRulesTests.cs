using TrainingPlatform.Services.Credits.Certificates;
using TrainingPlatform.Services.Credits.Compliance;
using TrainingPlatform.Services.Credits.Policies;
using Xunit;

namespace TrainingPlatform.Credits.Tests;

/// <summary>A certificate is a record of a met cycle: issued once, kept through policy changes, taken back only by a correction that breaks it.</summary>
public sealed class CertificateRulesTests
{
    private static readonly TeacherFacts Teacher = new(Guid.NewGuid(), new(2010, 9, 1), NormalSchoolGraduate: true, ClassTeacher: false);
    private static readonly DateOnly Today = new(2027, 6, 1);
    private static readonly DateTimeOffset IssuedAt = new(2027, 3, 1, 2, 0, 0, TimeSpan.Zero);

    private static CreditPolicy Total(decimal hours, string code = "p", int version = 1) =>
        new(code, $"五年 {hours} 学时", 5, 2026, [new CreditRule("cycle-total", "周期总学时", RulePeriods.Cycle, hours, new RuleFilter())], version);

    private static readonly CreditPolicy Ten = Total(10, "test-10", 2);
    private static readonly CreditPolicy Forty = Total(40, "test-40");

    private static Credit C(decimal hours, int year = 2026) => new(hours, "school_based", "school_based", "school", "school_based", year);

    private static HeldCertificate Held(DateTimeOffset? issuedAt = null, int cycleStart = 2026) =>
        new(Guid.NewGuid(), "JXJY-2026-00000001", Teacher.Id, cycleStart, cycleStart + 4, issuedAt ?? IssuedAt, Ten.Code, Ten.Version);

    private static Correction Reversal(decimal hours, DateTimeOffset at, int year = 2026) =>
        new(CorrectionKinds.Reversal, Guid.NewGuid(), "校本研修：同课异构", -hours, "school_based", "school_based", "school", "school_based", year,
            "活动未实际开展", "周运营 (op-7)", at);

    private static ComplianceResult Evaluate(CreditPolicy policy, params Credit[] credits) =>
        ComplianceRules.Evaluate(policy, Teacher, credits, new HashSet<int>(), Today, 2026);

    [Fact]
    public void A_teacher_who_meets_the_active_policy_is_certified_once_and_switching_policies_issues_nothing_more()
    {
        Assert.True(CertificateRules.ShouldIssue(Evaluate(Ten, C(12)), []));
        Assert.False(CertificateRules.ShouldIssue(Evaluate(Forty, C(12)), []));
        // Already certified for the cycle, under whichever policy: nothing new, whatever is active now.
        Assert.False(CertificateRules.ShouldIssue(Evaluate(Ten, C(12)), [Held()]));
        // A certificate of another cycle does not count for this one.
        Assert.True(CertificateRules.ShouldIssue(Evaluate(Ten, C(12)), [Held(cycleStart: 2021)]));
    }

    [Fact]
    public void A_policy_the_teacher_no_longer_meets_does_not_revoke_without_a_correction()
    {
        // 12 h met the 10 h policy the certificate was issued under; the 40 h policy now active is not the measure.
        var review = CertificateRules.Review(Held(), Ten, Teacher, [C(12)], new HashSet<int>(), [], Today);
        Assert.IsType<CertificateReview.Keep>(review);
    }

    [Fact]
    public void A_reversal_since_issue_that_breaks_the_issuing_policy_revokes_with_a_reason_naming_it()
    {
        var reversal = Reversal(12, IssuedAt.AddDays(10));
        var review = CertificateRules.Review(Held(), Ten, Teacher, [C(0)], new HashSet<int>(), [reversal], Today);
        var revoke = Assert.IsType<CertificateReview.Revoke>(review);
        Assert.Equal(reversal.EntryId, revoke.CorrectionEntryId);
        Assert.Contains("2027-03-11", revoke.Reason);
        Assert.Contains("周运营 (op-7)", revoke.Reason);
        Assert.Contains("冲销 2026 年“校本研修：同课异构” 12 学时", revoke.Reason);
        Assert.Contains("活动未实际开展", revoke.Reason);
        Assert.Contains("test-10 第 2 版", revoke.Reason);
        Assert.Contains("周期总学时", revoke.Reason);
    }

    [Fact]
    public void A_reversal_the_issuing_policy_survives_keeps_the_certificate()
    {
        // 20 h, 6 reversed: 14 h still meets 10 h (though not the 40 h now active).
        var review = CertificateRules.Review(Held(), Ten, Teacher, [C(14)], new HashSet<int>(), [Reversal(6, IssuedAt.AddDays(1))], Today);
        Assert.IsType<CertificateReview.Keep>(review);
    }

    [Fact]
    public void Corrections_before_the_certificate_or_outside_its_cycle_were_already_counted_or_do_not_matter()
    {
        var before = Reversal(12, IssuedAt.AddHours(-2));
        var otherCycle = Reversal(12, IssuedAt.AddDays(1), year: 2031);
        Assert.IsType<CertificateReview.Keep>(CertificateRules.Review(Held(), Ten, Teacher, [C(0)], new HashSet<int>(), [before, otherCycle], Today));
        // One stamped a moment before the certificate may have committed after it was judged: it counts.
        var racing = Reversal(12, IssuedAt.AddSeconds(-5));
        Assert.IsType<CertificateReview.Revoke>(CertificateRules.Review(Held(), Ten, Teacher, [C(0)], new HashSet<int>(), [racing], Today));
    }

    [Fact]
    public void A_profile_change_that_breaks_the_policy_is_not_a_correction_and_keeps_the_certificate()
    {
        var classTeachers = Ten with
        {
            Rules = [.. Ten.Rules, new CreditRule("ct", "班主任培训", RulePeriods.Cycle, 5, new RuleFilter(Categories: ["class_teacher"]), RuleSubjects.ClassTeachers)],
        };
        // A reversal since issue that the policy survives, plus becoming a class teacher without class-teacher hours.
        var review = CertificateRules.Review(Held(), classTeachers, Teacher with { ClassTeacher = true }, [C(14)], new HashSet<int>(),
            [Reversal(6, IssuedAt.AddDays(1))], Today);
        Assert.IsType<CertificateReview.Keep>(review);
    }

    [Fact]
    public void A_year_recorded_as_failed_since_issue_revokes_and_says_so()
    {
        var failed = new Correction(CorrectionKinds.FailedYear, null, "", 0, "", "", "", "", 2027, "学校登记本年度不参训（保证书 BZ-1）", null,
            IssuedAt.AddDays(3));
        var review = CertificateRules.Review(Held(), Ten, Teacher, [C(12)], new HashSet<int> { 2027 }, [failed], Today);
        var revoke = Assert.IsType<CertificateReview.Revoke>(review);
        Assert.Contains("登记 2027 年度考核不合格", revoke.Reason);
        Assert.Contains("BZ-1", revoke.Reason);
        Assert.Null(revoke.CorrectionEntryId);
    }

    [Fact]
    public void After_a_revocation_the_teacher_may_be_certified_again()
    {
        // The revoked certificate is no longer held: meeting the policy again issues a new one.
        Assert.True(CertificateRules.ShouldIssue(Evaluate(Ten, C(12)), []));
    }
}
