namespace TrainingPlatform.Gateway;

/// <summary>
/// Names the gateway's assembly for a WebApplicationFactory in a program that has its own top-level <c>Program</c>
/// (a benchmark that puts the real gateway in front of a service), where the global <c>Program</c> would clash.
/// </summary>
public sealed class GatewayApi
{
    private GatewayApi()
    {
    }
}
