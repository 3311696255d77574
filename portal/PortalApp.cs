namespace TrainingPlatform.Portal;

/// <summary>
/// The web portal: a backend-for-frontend. Browsers talk to it (through the gateway); it signs users in through
/// Directory, keeps their token server-side in an encrypted cookie, and calls the APIs through the gateway with it.
/// Its own database holds only notifications and the cookie-encryption keys.
/// </summary>
public sealed class PortalApp
{
    private PortalApp()
    {
    }

    public const string ServiceName = "portal";
    public const string DatabaseName = "portaldb";

    /// <summary>Where the portal finds the gateway: Aspire's service discovery name, <c>services:gateway:http:0</c>.</summary>
    public const string GatewayServiceName = "gateway";
}
