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
    [InlineData("abc123", "至少 8 个字符")]
    [InlineData("abcdefghij", "字母和数字")]
    [InlineData("x11010519491231002Xy9", "不能包含账号")]
    [InlineData("Same-pass-1", "不能与当前密码相同")]
    [InlineData("zhangsanfeng", "不能是姓名的拼音")]
    public void A_new_password_that_breaks_a_rule_is_refused_with_that_rule(string candidate, string rule)
    {
        var problems = SignInPolicy.CheckNewPassword(candidate, "11010519491231002X", currentPassword: "Same-pass-1", name: "张三丰");
        Assert.Contains(problems, p => p.Contains(rule, StringComparison.Ordinal));
    }

    [Fact]
    public void A_good_new_password_passes()
    {
        Assert.Empty(SignInPolicy.CheckNewPassword("Spring-2026-ok", "11010519491231002X", "Old-pass-1"));
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
