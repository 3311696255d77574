using Xunit;

namespace TrainingPlatform.Services.Tests;

public sealed class JsonNamingGuardTests
{
    [Theory]
    [InlineData("""{"schoolPath":"a","items":[{"markedBy":"x"}]}""", "")]
    [InlineData("""{"school_path":"a"}""", "school_path")]
    [InlineData("""[{"ok":1,"nested":{"active_pairings":2}}]""", "active_pairings")]
    [InlineData("""{"byCategory":{"school_based":2.5}}""", "")]
    public void Finds_members_named_in_snake_case_at_any_depth(string json, string expected) =>
        Assert.Equal(expected, string.Join(",", JsonNamingGuard.SnakeCaseMembers(System.Text.Encoding.UTF8.GetBytes(json))));
}
