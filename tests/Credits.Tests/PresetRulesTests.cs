using TrainingPlatform.Services.Credits.Compliance;
using TrainingPlatform.Services.Credits.Policies;
using Xunit;

namespace TrainingPlatform.Credits.Tests;

/// <summary>
/// Every rule of every seed preset, pinned on hand-built teachers: exactly at the boundary, one hour short, the
/// hours that do and do not count, and whom the rule binds. The cycle under test is 2026–2030; "after the cycle" is
/// 15 January 2031, when every period has closed.
/// </summary>
public sealed class PresetRulesTests
{
    private const int CycleStart = 2026;
    private const int CycleEnd = 2030;
    private static readonly DateOnly AfterTheCycle = new(2031, 1, 15);
    private static readonly IReadOnlySet<int> NoFailedYears = new HashSet<int>();

    /// <summary>An experienced teacher: hired long before the cycle, normal-school graduate, not a class teacher.</summary>
    private static readonly TeacherFacts Experienced = new(Guid.NewGuid(), new(2010, 9, 1), NormalSchoolGraduate: true, ClassTeacher: false);

    private static readonly DateOnly NewTeacherHired = new(2027, 8, 20);

    private static CreditPolicy Preset(string code) => PolicyPresets.All.Single(p => p.Code == code);

    private static Credit C(decimal hours, string category, string mode, string level, int year) =>
        new(hours, category, mode, level, "course_completion", year);

    private static ComplianceResult Evaluate(string preset, TeacherFacts teacher, IReadOnlyList<Credit> credits, DateOnly today) =>
        ComplianceRules.Evaluate(Preset(preset), teacher, credits, NoFailedYears, today, CycleStart);

    private static RuleStatus Rule(ComplianceResult result, string key, int? year = null) =>
        Assert.Single(result.Rules, r => r.Key == key && (year is null || r.Year == year));

    // ---- The presets hold the numbers of the domain brief's table (and of the seeds) ----

    /// <summary>(preset, rule, period, minimum hours, whom it binds), from DOMAIN.md's table and seeds 000–004.</summary>
    public static readonly TheoryData<string, string[]> BriefTable = new()
    {
        // seed 000 (Guizhou school): 5 years ≥ 360 h; ethics ≥ 60; subject training incl. the four new ≥ 300;
        // concentrated at township level or above ≥ 240 of the total; class teachers ≥ 30 per five years.
        { "seed-000", ["cycle-total cycle 360 all", "cycle-ethics cycle 60 all", "cycle-subject cycle 300 all", "cycle-concentrated cycle 240 all",
            "cycle-class-teacher cycle 30 class_teachers"] },
        // seed 001: ≥ 48 h a year (so 240 in five), ethics ≥ 10 every year, school-based ≥ 36 a year.
        { "seed-001", ["cycle-total cycle 240 all", "year-total year 48 all", "year-ethics year 10 all", "year-school-based year 36 all"] },
        // seed 002: 五年一周期360学时, ethics ≥ 10 every year, school-based ≥ 10 each year, new teachers' first-year
        // concentrated training ≥ 60 (normal school) or ≥ 120 (others).
        { "seed-002", ["cycle-total cycle 360 all", "year-ethics year 10 all", "year-school-based year 10 all",
            "first-year-normal first_year 60 new_normal_school", "first-year-other first_year 120 new_other"] },
        // seed 003: 200 h of school-based research per five-year period (the 360 total is the national cycle).
        { "seed-003", ["cycle-total cycle 360 all", "cycle-school-based cycle 200 all"] },
        // seed 004: ≥ 36 h online a year (the 360 total is the national cycle).
        { "seed-004", ["cycle-total cycle 360 all", "year-online year 36 all"] },
    };

    [Theory]
    [MemberData(nameof(BriefTable))]
    public void Each_preset_has_exactly_the_rules_and_numbers_of_the_domain_brief(string preset, string[] rules)
    {
        var policy = Preset(preset);
        Assert.Equal((5, CycleStart), (policy.CycleYears, policy.FirstCycleYear));
        Assert.Equal(rules, policy.Rules.Select(r => $"{r.Key} {r.Period} {r.MinHours:0.#} {r.AppliesTo}"));
    }

    [Fact]
    public void The_five_seed_presets_ship_in_order()
    {
        Assert.Equal(["seed-000", "seed-001", "seed-002", "seed-003", "seed-004"], PolicyPresets.All.Select(p => p.Code));
    }

    // ---- Every rule: exactly at the boundary, one hour short ----

    /// <summary>
    /// One case per rule of every preset: the kind of credit it counts (category, mode, level), the teacher it binds
    /// and, for the boundary, the year a single-year rule is checked in.
    /// </summary>
    public sealed record RuleCase(string Code, string Key, string Category, string Mode, string Level, string Teacher)
    {
        public override string ToString() => $"{Code} {Key}";

        public CreditRule Rule => Preset(Code).Rules.Single(r => r.Key == Key);

        public TeacherFacts Facts => Teacher switch
        {
            "class_teacher" => Experienced with { ClassTeacher = true },
            "new_normal_school" => new(Guid.NewGuid(), NewTeacherHired, NormalSchoolGraduate: true, ClassTeacher: false),
            "new_other" => new(Guid.NewGuid(), NewTeacherHired, NormalSchoolGraduate: false, ClassTeacher: false),
            _ => Experienced,
        };

        /// <summary>The rule's hours, less <paramref name="short"/> in <see cref="CheckedYear"/>, as the rule would see them.</summary>
        public IReadOnlyList<Credit> Credits(decimal @short)
        {
            var min = Rule.MinHours;
            return Rule.Period switch
            {
                // A cycle rule counts hours from any year of the cycle: half at the start, the rest at the end.
                RulePeriods.Cycle => [C(min / 2, Category, Mode, Level, CycleStart), C(min / 2 - @short, Category, Mode, Level, CycleEnd)],
                // A yearly rule wants its minimum in every year.
                RulePeriods.Year => [.. Enumerable.Range(CycleStart, CycleEnd - CycleStart + 1)
                    .Select(y => C(y == CheckedYear ? min - @short : min, Category, Mode, Level, y))],
                _ => [C(min - @short, Category, Mode, Level, CheckedYear!.Value)],
            };
        }

        public int? CheckedYear => Rule.Period switch
        {
            RulePeriods.Year => 2028,
            RulePeriods.FirstYear => NewTeacherHired.Year,
            _ => null,
        };

        /// <summary>The last day of the period the rule is judged over.</summary>
        public DateOnly LastDay => new(CheckedYear ?? CycleEnd, 12, 31);
    }

    public static readonly TheoryData<RuleCase> EveryRule = new()
    {
        new("seed-000", "cycle-total", "law", "online", "county", "all"),
        new("seed-000", "cycle-ethics", "ethics", "online", "provincial", "all"),
        new("seed-000", "cycle-subject", "subject", "online", "provincial", "all"),
        new("seed-000", "cycle-concentrated", "law", "concentrated", "township", "all"),
        new("seed-000", "cycle-class-teacher", "class_teacher", "online", "provincial", "class_teacher"),
        new("seed-001", "cycle-total", "law", "online", "county", "all"),
        new("seed-001", "year-total", "law", "online", "county", "all"),
        new("seed-001", "year-ethics", "ethics", "online", "provincial", "all"),
        new("seed-001", "year-school-based", "school_based", "school_based", "school", "all"),
        new("seed-002", "cycle-total", "law", "online", "county", "all"),
        new("seed-002", "year-ethics", "ethics", "concentrated", "city", "all"),
        new("seed-002", "year-school-based", "school_based", "school_based", "school", "all"),
        new("seed-002", "first-year-normal", "subject", "concentrated", "county", "new_normal_school"),
        new("seed-002", "first-year-other", "subject", "concentrated", "county", "new_other"),
        new("seed-003", "cycle-total", "law", "online", "county", "all"),
        new("seed-003", "cycle-school-based", "school_based", "school_based", "school", "all"),
        new("seed-004", "cycle-total", "law", "concentrated", "county", "all"),
        new("seed-004", "year-online", "subject", "online", "provincial", "all"),
    };

    [Fact]
    public void Every_rule_of_every_preset_has_a_case_below()
    {
        var covered = ((IEnumerable<object[]>)EveryRule).Select(row => ((RuleCase)row[0]).ToString()).ToHashSet();
        Assert.Equal(PolicyPresets.All.SelectMany(p => p.Rules.Select(r => $"{p.Code} {r.Key}")).Order(), covered.Order());
    }

    [Theory]
    [MemberData(nameof(EveryRule))]
    public void A_teacher_with_exactly_the_required_hours_meets_the_rule(RuleCase rule)
    {
        var result = Evaluate(rule.Code, rule.Facts, rule.Credits(0), AfterTheCycle);
        var status = Rule(result, rule.Key, rule.CheckedYear);
        Assert.Equal((rule.Rule.MinHours, 0m, ComplianceStatuses.Met), (status.Earned, status.Needed, status.Status));
        Assert.EndsWith("已达标", status.Explanation);
    }

    [Theory]
    [MemberData(nameof(EveryRule))]
    public void A_teacher_one_hour_short_has_not_met_the_rule_once_its_period_is_over_and_cannot_get_the_certificate(RuleCase rule)
    {
        var result = Evaluate(rule.Code, rule.Facts, rule.Credits(1), AfterTheCycle);
        var status = Rule(result, rule.Key, rule.CheckedYear);
        Assert.Equal((rule.Rule.MinHours - 1, 1m, ComplianceStatuses.NotMet), (status.Earned, status.Needed, status.Status));
        Assert.Contains("差 1 学时", status.Explanation);
        Assert.Contains(status.Explanation, result.Summary);
        Assert.False(result.CertificateEligible);
        if (rule.CheckedYear is { } year && rule.Rule.Period == RulePeriods.Year)
        {
            // The other years had their minimum and stay met: a year is judged on its own.
            Assert.All(result.Rules.Where(r => r.Key == rule.Key && r.Year != year), r => Assert.Equal(ComplianceStatuses.Met, r.Status));
        }
    }

    [Theory]
    [MemberData(nameof(EveryRule))]
    public void One_hour_short_on_the_last_day_of_the_period_is_at_risk_and_the_day_after_not_met(RuleCase rule)
    {
        var lastDay = Rule(Evaluate(rule.Code, rule.Facts, rule.Credits(1), rule.LastDay), rule.Key, rule.CheckedYear);
        Assert.Equal((1m, ComplianceStatuses.AtRisk), (lastDay.Needed, lastDay.Status));
        Assert.Contains("还需 1 学时", lastDay.Explanation);
        Assert.Contains("难以完成", lastDay.Explanation);
        var dayAfter = Rule(Evaluate(rule.Code, rule.Facts, rule.Credits(1), rule.LastDay.AddDays(1)), rule.Key, rule.CheckedYear);
        Assert.Equal(ComplianceStatuses.NotMet, dayAfter.Status);
    }

    // ---- Which hours count ----

    public static readonly TheoryData<string, string, string, string, string, bool> WhatCounts = new()
    {
        // preset, rule, category, mode, level, counts?
        { "seed-000", "cycle-ethics", "ethics", "school_based", "school", true },
        { "seed-000", "cycle-ethics", "law", "concentrated", "provincial", false },
        { "seed-000", "cycle-subject", "subject", "concentrated", "national", true },
        { "seed-000", "cycle-subject", "edu_tech", "online", "provincial", false },
        { "seed-000", "cycle-class-teacher", "class_teacher", "concentrated", "county", true },
        { "seed-000", "cycle-class-teacher", "ethics", "online", "provincial", false },
        // Concentrated training at township level or above: township, county, city, province, nation — not the school, not online.
        { "seed-000", "cycle-concentrated", "subject", "concentrated", "township", true },
        { "seed-000", "cycle-concentrated", "subject", "concentrated", "county", true },
        { "seed-000", "cycle-concentrated", "subject", "concentrated", "city", true },
        { "seed-000", "cycle-concentrated", "subject", "concentrated", "provincial", true },
        { "seed-000", "cycle-concentrated", "subject", "concentrated", "national", true },
        { "seed-000", "cycle-concentrated", "subject", "concentrated", "school", false },
        { "seed-000", "cycle-concentrated", "subject", "online", "national", false },
        { "seed-000", "cycle-concentrated", "school_based", "school_based", "school", false },
        { "seed-001", "year-school-based", "school_based", "school_based", "school", true },
        { "seed-001", "year-school-based", "subject", "online", "provincial", false },
        { "seed-001", "year-total", "degree_upgrade", "concentrated", "provincial", true },
        { "seed-002", "year-ethics", "ethics", "online", "provincial", true },
        { "seed-002", "year-ethics", "subject", "online", "provincial", false },
        { "seed-002", "first-year-other", "subject", "concentrated", "school", true },
        { "seed-002", "first-year-other", "subject", "online", "national", false },
        { "seed-003", "cycle-school-based", "school_based", "school_based", "school", true },
        { "seed-003", "cycle-school-based", "subject", "concentrated", "county", false },
        { "seed-004", "year-online", "edu_tech", "online", "national", true },
        { "seed-004", "year-online", "subject", "concentrated", "provincial", false },
        { "seed-004", "year-online", "school_based", "school_based", "school", false },
    };

    [Theory]
    [MemberData(nameof(WhatCounts))]
    public void A_rule_counts_only_the_hours_it_names(string preset, string key, string category, string mode, string level, bool counts)
    {
        var rule = Preset(preset).Rules.Single(r => r.Key == key);
        var teacher = key == "first-year-other" ? new TeacherFacts(Guid.NewGuid(), NewTeacherHired, false, false) : Experienced with { ClassTeacher = true };
        var year = rule.Period == RulePeriods.FirstYear ? NewTeacherHired.Year : 2028;
        var result = Evaluate(preset, teacher, [C(rule.MinHours, category, mode, level, year)], AfterTheCycle);
        var status = Rule(result, key, rule.Period == RulePeriods.Cycle ? null : year);
        Assert.Equal(counts ? rule.MinHours : 0m, status.Earned);
        Assert.Equal(counts ? ComplianceStatuses.Met : ComplianceStatuses.NotMet, status.Status);
    }

    // ---- Yearly and per-cycle rules ----

    [Fact]
    public void Ethics_per_cycle_may_all_be_done_in_one_year()
    {
        var result = Evaluate("seed-000", Experienced, [C(60, "ethics", "online", "provincial", 2030)], AfterTheCycle);
        Assert.Equal(ComplianceStatuses.Met, Rule(result, "cycle-ethics").Status);
    }

    [Theory]
    [InlineData("seed-001", "year-ethics", "ethics", "online", 10)]
    [InlineData("seed-002", "year-ethics", "ethics", "online", 10)]
    [InlineData("seed-001", "year-school-based", "school_based", "school_based", 36)]
    [InlineData("seed-002", "year-school-based", "school_based", "school_based", 10)]
    [InlineData("seed-001", "year-total", "subject", "online", 48)]
    [InlineData("seed-004", "year-online", "subject", "online", 36)]
    public void A_yearly_minimum_is_owed_every_year_and_a_surplus_does_not_carry_over(string preset, string key, string category, string mode,
        decimal perYear)
    {
        // Five years' worth in the first year: that year is met, every other year is not.
        var result = Evaluate(preset, Experienced, [C(perYear * 5, category, mode, "provincial", CycleStart)], AfterTheCycle);
        var years = result.Rules.Where(r => r.Key == key).ToDictionary(r => r.Year!.Value, r => (r.Status, r.Needed));
        Assert.Equal(Enumerable.Range(CycleStart, 5), years.Keys.Order());
        Assert.Equal((ComplianceStatuses.Met, 0m), years[CycleStart]);
        Assert.All(years.Where(y => y.Key != CycleStart), y => Assert.Equal((ComplianceStatuses.NotMet, perYear), y.Value));
        Assert.Equal(ComplianceStatuses.NotMet, result.Overall);
    }

    [Fact]
    public void A_cycle_rule_is_met_by_hours_spread_over_the_years_however_unevenly()
    {
        var result = Evaluate("seed-003", Experienced,
            [C(150, "school_based", "school_based", "school", 2026), C(0.5m, "school_based", "school_based", "school", 2027),
                C(49.5m, "school_based", "school_based", "school", 2030)], AfterTheCycle);
        Assert.Equal((200m, ComplianceStatuses.Met), (Rule(result, "cycle-school-based").Earned, Rule(result, "cycle-school-based").Status));
    }

    [Fact]
    public void Hours_outside_the_cycle_do_not_count_toward_it()
    {
        var result = Evaluate("seed-003", Experienced,
            [C(200, "school_based", "school_based", "school", 2025), C(360, "subject", "online", "provincial", 2031)], AfterTheCycle);
        Assert.Equal(0m, Rule(result, "cycle-school-based").Earned);
        Assert.Equal(0m, Rule(result, "cycle-total").Earned);
    }

    // ---- A teacher who meets every rule exactly, and one hour less anywhere ----

    /// <summary>For each preset, the fewest hours an experienced, non-class teacher can meet every rule with: every hour is needed.</summary>
    public static IReadOnlyList<Credit> Minimal(string preset) => preset switch
    {
        // 60 ethics + 300 subject = 360; 60 + 180 of it concentrated at county/township level = 240.
        "seed-000" => [C(60, "ethics", "concentrated", "county", 2026), C(180, "subject", "concentrated", "township", 2027),
            C(120, "subject", "online", "provincial", 2028)],
        // 10 ethics + 36 school-based + 2 more = 48 every year; 240 in the cycle.
        "seed-001" => [.. Years().SelectMany(y => new[] { C(10, "ethics", "online", "provincial", y), C(36, "school_based", "school_based", "school", y),
            C(2, "law", "online", "county", y) })],
        // 10 ethics + 10 school-based + 52 more = 72 every year; 360 in the cycle.
        "seed-002" => [.. Years().SelectMany(y => new[] { C(10, "ethics", "online", "provincial", y), C(10, "school_based", "school_based", "school", y),
            C(52, "subject", "online", "provincial", y) })],
        // 200 school-based + 160 more = 360.
        "seed-003" => [C(200, "school_based", "school_based", "school", 2027), C(160, "subject", "online", "provincial", 2029)],
        // 36 online every year = 180, and 180 more = 360.
        "seed-004" => [.. Years().Select(y => C(36, "subject", "online", "provincial", y)), C(180, "subject", "concentrated", "city", 2029)],
        _ => throw new ArgumentOutOfRangeException(nameof(preset)),
    };

    private static IEnumerable<int> Years() => Enumerable.Range(CycleStart, CycleEnd - CycleStart + 1);

    public static readonly TheoryData<string> Presets = new() { "seed-000", "seed-001", "seed-002", "seed-003", "seed-004" };

    [Theory]
    [MemberData(nameof(Presets))]
    public void A_teacher_who_meets_every_rule_exactly_gets_the_certificate(string preset)
    {
        var result = Evaluate(preset, Experienced, Minimal(preset), AfterTheCycle);
        Assert.Equal(ComplianceStatuses.Met, result.Overall);
        Assert.True(result.CertificateEligible);
        Assert.All(result.Rules, r => Assert.Equal((ComplianceStatuses.Met, 0m), (r.Status, r.Needed)));
        Assert.Equal($"{CycleStart}–{CycleEnd} 周期各项要求均已达标", result.Summary);
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void One_hour_less_on_any_entry_of_that_ledger_loses_the_certificate(string preset)
    {
        var credits = Minimal(preset);
        for (var i = 0; i < credits.Count; i++)
        {
            var shorter = credits.Select((c, j) => j == i ? c with { Hours = c.Hours - 1 } : c).ToList();
            var result = Evaluate(preset, Experienced, shorter, AfterTheCycle);
            Assert.False(result.CertificateEligible, $"{preset}: one hour less of {credits[i]} should break a rule");
            Assert.Contains(result.Rules, r => r.Needed == 1 && r.Status == ComplianceStatuses.NotMet);
        }
    }

    // ---- Class teachers ----

    [Fact]
    public void Only_class_teachers_owe_the_class_teacher_hours()
    {
        var credits = Minimal("seed-000");
        var notClassTeacher = Evaluate("seed-000", Experienced, credits, AfterTheCycle);
        Assert.DoesNotContain(notClassTeacher.Rules, r => r.Key == "cycle-class-teacher");
        Assert.True(notClassTeacher.CertificateEligible);

        var classTeacher = Experienced with { ClassTeacher = true };
        var without = Evaluate("seed-000", classTeacher, credits, AfterTheCycle);
        Assert.Equal((30m, ComplianceStatuses.NotMet), (Rule(without, "cycle-class-teacher").Needed, Rule(without, "cycle-class-teacher").Status));
        Assert.False(without.CertificateEligible);

        var with29 = Evaluate("seed-000", classTeacher, [.. credits, C(29, "class_teacher", "online", "provincial", 2029)], AfterTheCycle);
        Assert.Equal(1m, Rule(with29, "cycle-class-teacher").Needed);
        Assert.False(with29.CertificateEligible);

        var with30 = Evaluate("seed-000", classTeacher, [.. credits, C(30, "class_teacher", "online", "provincial", 2029)], AfterTheCycle);
        Assert.True(with30.CertificateEligible);
    }

    [Theory]
    [InlineData("seed-001")]
    [InlineData("seed-002")]
    [InlineData("seed-003")]
    [InlineData("seed-004")]
    public void Presets_without_a_class_teacher_rule_ask_nothing_more_of_class_teachers(string preset)
    {
        var result = Evaluate(preset, Experienced with { ClassTeacher = true }, Minimal(preset), AfterTheCycle);
        Assert.True(result.CertificateEligible);
    }

    // ---- New teachers, by normal-school background ----

    [Theory]
    [InlineData(true, "first-year-normal", 60, "first-year-other")]
    [InlineData(false, "first-year-other", 120, "first-year-normal")]
    public void A_new_teacher_owes_first_year_concentrated_hours_by_background(bool normalSchool, string key, decimal hours, string otherKey)
    {
        var teacher = new TeacherFacts(Guid.NewGuid(), NewTeacherHired, normalSchool, ClassTeacher: false);
        var exactly = Evaluate("seed-002", teacher, [C(hours, "subject", "concentrated", "county", 2027)], AfterTheCycle);
        Assert.Equal((2027, hours, ComplianceStatuses.Met), (Rule(exactly, key).Year!.Value, Rule(exactly, key).Required, Rule(exactly, key).Status));
        Assert.DoesNotContain(exactly.Rules, r => r.Key == otherKey);

        var short1 = Evaluate("seed-002", teacher, [C(hours - 1, "subject", "concentrated", "county", 2027)], AfterTheCycle);
        Assert.Equal((1m, ComplianceStatuses.NotMet), (Rule(short1, key).Needed, Rule(short1, key).Status));

        // Concentrated training the year after does not make up the first year, nor online training in it.
        var late = Evaluate("seed-002", teacher,
            [C(hours, "subject", "concentrated", "county", 2028), C(hours, "subject", "online", "provincial", 2027)], AfterTheCycle);
        Assert.Equal((0m, ComplianceStatuses.NotMet), (Rule(late, key).Earned, Rule(late, key).Status));
    }

    [Fact]
    public void Sixty_first_year_hours_are_enough_for_a_normal_school_graduate_but_not_for_anyone_else()
    {
        var credits = new[] { C(60, "subject", "concentrated", "county", 2027) };
        var normal = Evaluate("seed-002", new(Guid.NewGuid(), NewTeacherHired, true, false), credits, AfterTheCycle);
        var other = Evaluate("seed-002", new(Guid.NewGuid(), NewTeacherHired, false, false), credits, AfterTheCycle);
        Assert.Equal(ComplianceStatuses.Met, Rule(normal, "first-year-normal").Status);
        Assert.Equal((60m, ComplianceStatuses.NotMet), (Rule(other, "first-year-other").Needed, Rule(other, "first-year-other").Status));
    }

    [Fact]
    public void A_teacher_hired_before_the_cycle_owes_no_first_year_hours_in_it()
    {
        var result = Evaluate("seed-002", Experienced with { NormalSchoolGraduate = false }, Minimal("seed-002"), AfterTheCycle);
        Assert.DoesNotContain(result.Rules, r => r.Period == RulePeriods.FirstYear);
        Assert.True(result.CertificateEligible);
    }

    [Fact]
    public void A_teacher_hired_during_the_cycle_owes_nothing_for_the_years_before_they_were_hired()
    {
        // Hired in August 2027: every yearly rule from 2027 on, the first-year hours in 2027, the whole cycle total.
        var teacher = new TeacherFacts(Guid.NewGuid(), NewTeacherHired, NormalSchoolGraduate: true, ClassTeacher: false);
        var credits = new List<Credit> { C(60, "subject", "concentrated", "county", 2027) };
        credits.AddRange(Enumerable.Range(2027, 4).SelectMany(y => new[]
        {
            C(10, "ethics", "online", "provincial", y), C(10, "school_based", "school_based", "school", y), C(55, "subject", "online", "provincial", y),
        }));
        var result = Evaluate("seed-002", teacher, credits, AfterTheCycle);
        Assert.Equal([2027, 2028, 2029, 2030], result.Rules.Where(r => r.Key == "year-ethics").Select(r => r.Year!.Value));
        Assert.Equal(360m, Rule(result, "cycle-total").Earned);
        Assert.True(result.CertificateEligible, result.Summary);
    }

    [Fact]
    public void A_teacher_hired_a_fortnight_ago_is_not_yet_at_risk_for_their_first_year()
    {
        // Hired 20 August 2027, nothing yet on 3 September: the pace counts from the hire date, with its grace period.
        var teacher = new TeacherFacts(Guid.NewGuid(), NewTeacherHired, NormalSchoolGraduate: false, ClassTeacher: false);
        var result = Evaluate("seed-002", teacher, [], new(2027, 9, 3));
        Assert.Equal((120m, ComplianceStatuses.OnTrack), (Rule(result, "first-year-other").Needed, Rule(result, "first-year-other").Status));
        Assert.Equal(ComplianceStatuses.OnTrack, Rule(result, "year-ethics", 2027).Status);
        Assert.Equal(ComplianceStatuses.OnTrack, result.Overall);
    }
}
