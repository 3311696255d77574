namespace TrainingPlatform.Services.Credits;

/// <summary>The Credits service: the credit-hour ledger, approvals, five-year compliance, certificates and reports.</summary>
public sealed class CreditsApi
{
    private CreditsApi()
    {
    }

    public const string ServiceName = "credits";
    public const string DatabaseName = "creditsdb";
}
