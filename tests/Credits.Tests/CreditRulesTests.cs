using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Services.Credits.Applications;
using TrainingPlatform.Services.Credits.Certificates;
using TrainingPlatform.Services.Credits.Compliance;
using TrainingPlatform.Services.Credits.Policies;
using Xunit;

namespace TrainingPlatform.Credits.Tests;

public sealed class ComplianceRulesTests
{
    private static readonly TeacherFacts Teacher = new(Guid.NewGuid(), new(2010, 9, 1), NormalSchoolGraduate: true, ClassTeacher: false);
    private static readonly CreditPolicy Guizhou = PolicyPresets.All.Single(p => p.Code == "seed-000");

    private static Credit C(decimal hours, string category = "subject", string mode = "online", string level = "provincial", int year = 2026) =>
        new(hours, category, mode, level, "course_completion", year);

    [Fact]
    public void Every_rule_is_judged_with_the_hours_still_needed_in_chinese()
    {
        var result = ComplianceRules.Evaluate(Guizhou, Teacher, [C(100), C(20, "ethics")], new HashSet<int>(), new(2026, 3, 1), 2026);
        var ethics = result.Rules.Single(r => r.Key == "cycle-ethics");
        Assert.Equal((60m, 20m, 40m), (ethics.Required, ethics.Earned, ethics.Needed));
        Assert.Equal(ComplianceStatuses.OnTrack, ethics.Status); // within the first 90 days nobody is flagged
        Assert.Contains("还需 40 学时", ethics.Explanation);
        Assert.DoesNotContain(result.Rules, r => r.Key == "cycle-class-teacher"); // not a class teacher
    }

    [Fact]
    public void A_rule_that_cannot_be_reached_at_the_current_pace_is_at_risk_and_a_passed_deadline_is_not_met()
    {
        // Two and a half years in, 60 of 360 hours: at this pace 120 by the end.
        var atRisk = ComplianceRules.Evaluate(Guizhou, Teacher, [C(60)], new HashSet<int>(), new(2028, 7, 1), 2026);
        Assert.Equal(ComplianceStatuses.AtRisk, atRisk.Rules.Single(r => r.Key == "cycle-total").Status);
        Assert.Equal(ComplianceStatuses.AtRisk, atRisk.Overall);
        Assert.Contains("难以完成", atRisk.Summary);
        var late = ComplianceRules.Evaluate(Guizhou, Teacher, [C(60)], new HashSet<int>(), new(2031, 1, 5), 2026);
        Assert.Equal(ComplianceStatuses.NotMet, late.Overall);
    }

    [Fact]
    public void Meeting_every_rule_makes_the_teacher_eligible_for_the_certificate()
    {
        var credits = new[] { C(300), C(60, "ethics", "concentrated", "county"), C(180, mode: "concentrated", level: "city") };
        var result = ComplianceRules.Evaluate(Guizhou, Teacher, credits, new HashSet<int>(), new(2029, 5, 1), 2026);
        Assert.Equal(ComplianceStatuses.Met, result.Overall);
        Assert.True(result.CertificateEligible);
        // A class teacher also needs 30 h of class-teacher training.
        var classTeacher = ComplianceRules.Evaluate(Guizhou, Teacher with { ClassTeacher = true }, credits, new HashSet<int>(), new(2029, 5, 1), 2026);
        Assert.False(classTeacher.CertificateEligible);
        Assert.Equal(30m, classTeacher.Rules.Single(r => r.Key == "cycle-class-teacher").Needed);
    }

    [Fact]
    public void Yearly_rules_judge_each_year_and_an_opted_out_year_fails_whatever_the_hours()
    {
        var shandong = PolicyPresets.All.Single(p => p.Code == "seed-004");
        var credits = new[] { C(40, year: 2026), C(20, year: 2027) };
        var result = ComplianceRules.Evaluate(shandong, Teacher, credits, new HashSet<int> { 2026 }, new(2027, 12, 31), 2026);
        var years = result.Rules.Where(r => r.Key == "year-online").ToDictionary(r => r.Year!.Value);
        Assert.Equal(ComplianceStatuses.NotMet, years[2026].Status); // 40 ≥ 36, but opted out
        Assert.Equal(ComplianceStatuses.AtRisk, years[2027].Status);
        Assert.Equal(ComplianceStatuses.Pending, years[2028].Status);
        Assert.Equal([2026], result.FailedYears);
        Assert.False(result.CertificateEligible);
    }

    [Fact]
    public void New_teachers_need_first_year_concentrated_hours_by_background()
    {
        var policy = PolicyPresets.All.Single(p => p.Code == "seed-002");
        var newcomer = new TeacherFacts(Guid.NewGuid(), new(2027, 9, 1), NormalSchoolGraduate: false, ClassTeacher: false);
        var result = ComplianceRules.Evaluate(policy, newcomer, [C(70, mode: "concentrated", year: 2027)], new HashSet<int>(), new(2028, 2, 1), 2026);
        var first = Assert.Single(result.Rules, r => r.Period == RulePeriods.FirstYear);
        Assert.Equal(("first-year-other", 120m, ComplianceStatuses.NotMet), (first.Key, first.Required, first.Status));
    }

    [Fact]
    public void A_reversal_takes_its_hours_back()
    {
        var result = ComplianceRules.Evaluate(Guizhou, Teacher, [C(100), C(-100)], new HashSet<int>(), new(2026, 2, 1), 2026);
        Assert.Equal(0m, result.Rules.Single(r => r.Key == "cycle-total").Earned);
    }
}

public sealed class ApprovalChainTests
{
    [Fact]
    public void The_four_steps_go_in_order_each_by_its_own_role()
    {
        var status = ApplicationStatuses.Submitted;
        foreach (var role in new[] { Roles.SchoolAdmin, Roles.ResearchOffice, Roles.TrainingInstitution })
        {
            var decision = ApprovalChain.Decide(status, role, approve: true, null);
            Assert.True(decision.Allowed);
            status = decision.NewStatus;
        }
        Assert.Equal(ApplicationStatuses.Registered, status);
        var done = ApprovalChain.Decide(status, Roles.TrainingInstitution, true, null);
        Assert.Equal((409, "no-pending-step"), (done.Status, done.Rule));
    }

    [Fact]
    public void The_wrong_role_is_refused_and_a_rejection_needs_a_reason()
    {
        var wrong = ApprovalChain.Decide(ApplicationStatuses.Submitted, Roles.ResearchOffice, true, null);
        Assert.Equal((403, "wrong-role"), (wrong.Status, wrong.Rule));
        Assert.Contains("学校审核", wrong.Reason);
        Assert.Equal(400, ApprovalChain.Decide(ApplicationStatuses.Certified, Roles.TrainingInstitution, false, " ").Status);
        Assert.Equal(ApplicationStatuses.Rejected, ApprovalChain.Decide(ApplicationStatuses.Certified, Roles.TrainingInstitution, false, "证明不清").NewStatus);
    }
}

public sealed class CertificateAndPolicyTests
{
    [Fact]
    public void Certificate_numbers_carry_the_cycle_and_names_are_masked_for_verification()
    {
        Assert.Equal("JXJY-2026-00000042", CertificateRules.Number(2026, 42));
        Assert.Equal("张**", CertificateRules.MaskName("张三丰"));
    }

    [Fact]
    public void Every_preset_is_a_valid_policy()
    {
        foreach (var preset in PolicyPresets.All)
        {
            var validation = PolicyEndpoints.Validate(preset.Code, new PolicyRequest(preset.Name, preset.CycleYears, preset.FirstCycleYear, preset.Rules));
            Assert.True(validation.IsValid, preset.Code + ": " + string.Join("; ", validation.Errors));
        }
        Assert.Equal((2031, 2035), PolicyPresets.All[0].CycleOf(2033));
    }

    [Fact]
    public void A_rule_with_unknown_values_is_named()
    {
        var validation = PolicyEndpoints.Validate("x1", new PolicyRequest("测试", 5, 2026,
            [new CreditRule("a", "A", "decade", -1, new RuleFilter(Categories: ["fun"]), "aliens")]));
        var fields = validation.Errors.Select(e => e.Field).ToHashSet();
        Assert.Superset(new HashSet<string> { "rules[0].period", "rules[0].minHours", "rules[0].appliesTo", "rules[0].filter.categories" }, fields);
    }
}

/// <summary>The chain the portal draws is the one that decides: served straight from <see cref="ApprovalChain"/>, nothing left out or added.</summary>
public sealed class ServedApprovalChainTests
{
    [Fact]
    public void The_served_chain_is_ApprovalChains_definition_in_order()
    {
        var served = ApprovalChainEndpoints.GetApprovalChain().Value!;

        Assert.Equal(ApprovalChain.Steps.Select((s, i) => (i + 1, s.Step, s.StepName, s.Role, s.WaitingStatus, s.ApprovedStatus, s.ActionLabel, s.MenuLabel)),
            served.Steps.Select(s => (s.Order, s.Code, s.Name, s.Role, s.WaitingStatus, s.ApprovedStatus, s.ActionLabel, s.MenuLabel)));
        Assert.All(served.Steps, s => Assert.Equal(Roles.Names[s.Role], s.RoleName));
        Assert.Equal(["教师申请", "学校审核", "教研室认定", "培训机构登记"], served.Steps.Select(s => s.Name));
        // Every step that decides waits at a status of its own, and the chain ends where the ledger posts.
        Assert.Equal(ApprovalChain.ByStatus.Keys, served.Steps.Where(s => s.WaitingStatus is not null).Select(s => s.WaitingStatus!));
        Assert.Equal(ApplicationStatuses.Registered, served.FinalStatus);
        Assert.Equal(ApplicationStatuses.Names.Select(n => (n.Key, n.Value)), served.Statuses.Select(s => (s.Code, s.Name)));
        Assert.Equal(ApplicationStatuses.Rejected, served.RejectedStatus);
        Assert.Equal(ApplicationSteps.Names.Keys, served.HistorySteps.Select(s => s.Code));
        Assert.Equal(ApplicationDecisions.Rejected, served.RejectedDecision);
    }

    [Fact]
    public void Each_step_leads_to_the_status_the_next_one_waits_at()
    {
        var steps = ApprovalChain.Steps;
        Assert.Null(steps[0].WaitingStatus);
        for (var i = 1; i < steps.Count; i++)
        {
            Assert.Equal(steps[i - 1].ApprovedStatus, steps[i].WaitingStatus);
        }
        Assert.All(steps, s => Assert.True(ApplicationStatuses.Names.ContainsKey(s.ApprovedStatus)));
    }
}
