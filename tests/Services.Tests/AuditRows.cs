using Microsoft.Extensions.DependencyInjection;
using TrainingPlatform.BuildingBlocks.Auditing;

namespace TrainingPlatform.Services.Tests;

/// <summary>How tests read a service's audit trail straight from its table.</summary>
internal static class AuditRows
{
    /// <summary>
    /// Refused tokens and 403s are recorded after the response by a background writer, so a test counting the records
    /// of privileged writes leaves them out (the security-event tests wait for them instead).
    /// </summary>
    public const string NotSecurityEvents = "action not in ('access-refused', 'token-refused', 'security-events-suppressed')";

    /// <summary>Records are chained after commit; reading the table directly, a test first chains what is pending, as the audit endpoints do.</summary>
    public static Task SealAsync(IServiceProvider services) =>
        services.GetRequiredService<AuditSealer>().SealPendingAsync(CancellationToken.None);
}
