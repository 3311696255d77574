namespace TrainingPlatform.Portal.Gateway;

/// <summary>The program year the portal works in: the latest one whose topic selection has begun (else the first to come).</summary>
public sealed class ProgramYears(GatewayClient gateway)
{
    private ApiResult<ProgramYear>? _current;

    public async Task<ApiResult<ProgramYear>> CurrentAsync()
    {
        if (_current is { Ok: true })
        {
            return _current;
        }
        var years = await gateway.GetAsync<List<ProgramYear>>("/api/catalog/years");
        if (!years.Ok)
        {
            return new(null, years.Problem);
        }
        var today = DateOnly.FromDateTime(DateTime.UtcNow.AddHours(8)); // the province's calendar day
        var current = years.Value!.Where(y => y.TopicSelectionOpens <= today).MaxBy(y => y.StudyStarts)
                      ?? years.Value!.MinBy(y => y.TopicSelectionOpens);
        return _current = current is null
            ? new(null, new ApiProblem(404, "平台尚未安排任何年度工程。", new Dictionary<string, string[]>()))
            : new(current, null);
    }
}
