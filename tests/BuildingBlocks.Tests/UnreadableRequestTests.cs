using System.Text.Json;
using Microsoft.AspNetCore.Http;
using TrainingPlatform.ServiceDefaults;
using Xunit;

namespace TrainingPlatform.BuildingBlocks.Tests;

/// <summary>
/// A body System.Text.Json cannot read, described for people: the field as the client spelled it, a rule, Chinese
/// words, and nothing of .NET. The exceptions are the serializer's own, made by reading the bodies here.
/// </summary>
public sealed class UnreadableRequestTests
{
    private sealed record Choice(Guid? CourseId, int? Percent, DateOnly? OccurredOn, IReadOnlyList<Guid>? TopicIds, bool? InPost);

    private static UnreadableRequest.Fault Read(string json)
    {
        var exception = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Choice>(json, JsonSerializerOptions.Web));
        var fault = UnreadableRequest.Describe(new BadHttpRequestException("Failed to read parameter \"Choice request\" from the request body as JSON.",
            exception), typeof(Choice), JsonSerializerOptions.Web);
        Assert.DoesNotContain("System.", fault.Words, StringComparison.Ordinal);
        Assert.DoesNotContain("JSON value", fault.Words, StringComparison.Ordinal);
        return fault;
    }

    [Theory]
    [InlineData("""{"courseId":12}""", "courseId", "wrong-type", "编号")]
    [InlineData("""{"courseId":"not-a-guid"}""", "courseId", "wrong-type", "编号")]
    [InlineData("""{"percent":"ten"}""", "percent", "wrong-type", "整数")]
    [InlineData("""{"occurredOn":"2024-13-45"}""", "occurredOn", "wrong-type", "日期")]
    [InlineData("""{"occurredOn":20240101}""", "occurredOn", "wrong-type", "日期")]
    [InlineData("""{"topicIds":"abc"}""", "topicIds", "wrong-type", "列表")]
    [InlineData("""{"topicIds":[1]}""", "topicIds[0]", "wrong-type", "编号")]
    [InlineData("""{"inPost":"yes"}""", "inPost", "wrong-type", "true 或 false")]
    [InlineData("""[1,2]""", "body", "wrong-type", "对象")]
    public void A_value_of_the_wrong_type_names_its_field_and_what_it_should_be(string json, string field, string rule, string expected)
    {
        var fault = Read(json);
        Assert.Equal((400, field, rule), (fault.Status, fault.Field, fault.Rule));
        Assert.Contains(expected, fault.Words, StringComparison.Ordinal);
    }

    [Fact]
    public void A_null_inside_a_list_of_ids_is_a_missing_element_like_any_other_null_element()
    {
        var fault = Read("""{"topicIds":["3f2504e0-4f89-11d3-9a0c-0305e82c3301",null]}""");
        Assert.Equal(("topicIds[1]", "required"), (fault.Field, fault.Rule));
        Assert.Contains("null", fault.Words, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"courseId":""")]
    [InlineData("""{courseId:1}""")]
    [InlineData("""{"percent":1,}""")]
    public void Broken_JSON_is_invalid_json_with_where_it_broke(string json)
    {
        var fault = Read(json);
        Assert.Equal("invalid-json", fault.Rule);
        Assert.Contains("第 1 行", fault.Words, StringComparison.Ordinal);
    }

    [Fact]
    public void A_query_value_of_the_wrong_type_names_the_parameter()
    {
        var fault = UnreadableRequest.Describe(new BadHttpRequestException("Failed to bind parameter \"int? page\" from \"abc\"."));
        Assert.Equal(("page", "wrong-type"), (fault.Field, fault.Rule));
        Assert.Contains("整数", fault.Words, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_body_is_required()
    {
        var fault = UnreadableRequest.Describe(new BadHttpRequestException(
            "Implicit body inferred for parameter \"Choice request\" but no body was provided. Did you mean to use a Service instead?"));
        Assert.Equal(("body", "required"), (fault.Field, fault.Rule));
    }
}
