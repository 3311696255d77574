using System.Net;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>A province that does not keep the pinyin convention switches it off: its schools hand out one-time passwords.</summary>
public sealed class SignInWithoutPinyinTests : DirectoryTestBase
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Directory:Accounts:PinyinFirstSignIn"] = "false",
        ["Directory:SignIn:SlowdownPerFailure"] = "00:00:00.010",
    };

    [Fact]
    public async Task With_the_setting_off_the_pinyin_is_refused()
    {
        await ImportTeacherAsync("371602198503120028", "王丽");
        using var response = await PostSignInAsync("371602198503120028", "wangli");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
