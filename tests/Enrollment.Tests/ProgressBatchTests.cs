using System.Text.Json;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.Services.Enrollment.Progress;
using Xunit;

namespace TrainingPlatform.Enrollment.Tests;

public sealed class ProgressBatchTests
{
    [Fact]
    public void A_null_report_in_a_batch_is_named_by_its_place()
    {
        var batch = JsonSerializer.Deserialize<ProgressBatch>("""{"reports":[{"reportId":"r1"},null]}""", JsonSerializerOptions.Web)!;
        Assert.Equal([("reports[1]", Validation.Required)], NullElements.Check(batch, JsonSerializerOptions.Web).Names);

        var validation = new Validation();
        Assert.Equal(["reports[0]"], validation.Elements(batch.Reports, "reports").Select(e => e.Path));
        Assert.Equal([("reports[1]", Validation.Required)], validation.Names);
    }
}
