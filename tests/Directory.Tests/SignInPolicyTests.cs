using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Services.Directory.Accounts;
using Xunit;

namespace TrainingPlatform.Directory.Tests;

public sealed class SignInPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 9, 0, 0, TimeSpan.FromHours(8));
    private static readonly SignInOptions Options = new() { LockAfterFailures = 5, LockDuration = TimeSpan.FromMinutes(15) };

    [Fact]
    public void Failures_below_the_limit_are_counted_without_locking()
    {
        Assert.Equal((4, (DateTimeOffset?)null), SignInPolicy.AfterFailure(3, Now, Options));
    }

    [Fact]
    public void The_failure_that_reaches_the_limit_locks_the_account_and_resets_the_count()
    {
        var (failures, lockedUntil) = SignInPolicy.AfterFailure(4, Now, Options);
        Assert.Equal(0, failures);
        Assert.Equal(Now.AddMinutes(15), lockedUntil);
        Assert.True(SignInPolicy.IsLocked(lockedUntil, Now.AddMinutes(14)));
        Assert.False(SignInPolicy.IsLocked(lockedUntil, Now.AddMinutes(15)));
    }

    [Fact]
    public void Each_failure_slows_the_next_answer_up_to_a_cap()
    {
        var options = new SignInOptions { SlowdownPerFailure = TimeSpan.FromMilliseconds(250), MaxSlowdown = TimeSpan.FromSeconds(1) };
        Assert.Equal(TimeSpan.FromMilliseconds(500), SignInPolicy.SlowdownFor(2, options));
        Assert.Equal(TimeSpan.FromSeconds(1), SignInPolicy.SlowdownFor(10, options));
    }

    [Theory]
    [InlineData("abc123", "too-short")]
    [InlineData("abcdefghij", "letters-and-digits")]
    [InlineData("x11010519491231002Xy9", "contains-login")]
    [InlineData("Same-pass-1", "same-as-current")]
    [InlineData("zhangsanfeng", "name-pinyin")]
    [InlineData("ZhangSanFeng2024", "name-pinyin")]
    [InlineData("zhang.san.feng.88", "name-pinyin")]
    [InlineData("2024zhangsanfeng", "name-pinyin")]
    [InlineData("zsf123456", "name-pinyin")]
    [InlineData("Zhangsf@1990", "name-pinyin")]
    [InlineData("sanfengzhang1", "name-pinyin")]
    [InlineData("woaini1314", "common-password")]
    [InlineData("QQ123456", "common-password")]
    [InlineData("a123456789", "common-password")]
    [InlineData("5201314", "common-password")]
    [InlineData("Password1", "common-password")]
    public void A_new_password_that_breaks_a_rule_is_refused_with_that_rule_in_Chinese(string candidate, string rule)
    {
        var problems = SignInPolicy.CheckNewPassword(candidate, "11010519491231002X", currentPassword: "Same-pass-1", name: "张三丰");
        var problem = Assert.Single(problems, p => p.Rule == rule);
        Assert.Contains(problem.Words, c => c is >= '\u4e00' and <= '\u9fff');
    }

    [Fact]
    public void A_staff_account_tied_to_a_teacher_may_not_use_the_teachers_ID_number_either()
    {
        var problems = SignInPolicy.CheckNewPassword("id11010519491231002X", "guide-371602", null, "张三丰", nationalId: "11010519491231002X");
        Assert.Contains(problems, p => p.Rule == "contains-national-id");
    }

    [Theory]
    [InlineData("Spring-2026-ok")]
    [InlineData("zhangwei2024")]    // someone else's name
    [InlineData("sanzhangfeng9")]   // not an order anyone writes the name in
    [InlineData("Zsanxf-2026")]
    public void A_good_new_password_passes(string candidate) =>
        Assert.Empty(SignInPolicy.CheckNewPassword(candidate, "11010519491231002X", "Old-pass-1", "张三丰"));

    [Fact]
    public void The_shipped_list_holds_the_common_passwords_and_their_chinese_favourites()
    {
        Assert.InRange(CommonPasswords.Count, 500, 1500);
        foreach (var password in new[] { "123456", "5201314", "qq123456", "woaini1314", "a123456", "password", "1qaz2wsx", "Abc123456" })
        {
            Assert.True(CommonPasswords.Contains(password), password);
        }
        Assert.False(CommonPasswords.Contains("Spring-2026-ok"));
    }

    [Fact]
    public void Every_password_the_platform_issues_meets_the_rules_a_user_must_meet()
    {
        for (var i = 0; i < 2_000; i++)
        {
            var password = AccountEndpoints.InitialPassword("11010519491231002X", "王伟", "11010519491231002X");
            Assert.Empty(SignInPolicy.CheckNewPassword(password, "11010519491231002X", null, "王伟", "11010519491231002X"));
        }
    }

    private static readonly AccountRow NeverSignedIn = new()
    {
        Login = "11010519491231002X",
        Role = Roles.Teacher,
        TeacherId = Guid.NewGuid(),
        TeacherName = "曾国藩",
        TeacherNationalId = "11010519491231002X",
        PasswordHash = "",
    };

    private static readonly AccountsOptions PinyinOn = new() { PinyinFirstSignIn = true };

    [Fact]
    public void A_teacher_who_never_had_a_password_may_sign_in_first_with_the_pinyin_of_their_name()
    {
        Assert.True(SignInPolicy.IsPinyinFirstSignIn(NeverSignedIn, "ZengGuofan", PinyinOn));
        Assert.False(SignInPolicy.IsPinyinFirstSignIn(NeverSignedIn, "zengguofa", PinyinOn));
    }

    [Fact]
    public void The_pinyin_never_works_once_there_is_a_password_nor_when_the_province_switched_it_off()
    {
        Assert.False(SignInPolicy.IsPinyinFirstSignIn(NeverSignedIn with { PasswordHash = "AQAAAAIAAYag" }, "zengguofan", PinyinOn));
        Assert.False(SignInPolicy.IsPinyinFirstSignIn(NeverSignedIn, "zengguofan", new AccountsOptions { PinyinFirstSignIn = false }));
    }

    [Fact]
    public void The_pinyin_is_only_for_teacher_accounts_whose_login_is_the_teachers_id_number()
    {
        Assert.False(SignInPolicy.IsPinyinFirstSignIn(NeverSignedIn with { Role = Roles.SchoolAdmin }, "zengguofan", PinyinOn));
        Assert.False(SignInPolicy.IsPinyinFirstSignIn(NeverSignedIn with { TeacherId = null, TeacherNationalId = null }, "zengguofan", PinyinOn));
        Assert.False(SignInPolicy.IsPinyinFirstSignIn(NeverSignedIn with { Login = "ZENG" }, "zengguofan", PinyinOn));
    }
}
