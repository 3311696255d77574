using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Identity;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.Services.Directory.Accounts;

public static class AccountsSetup
{
    /// <summary>
    /// Directory is the token issuer: it signs with keys from its own database, rotated on a schedule or on the
    /// operator's command (<see cref="KeyRotation"/>), and validates with the same keys directly (no HTTP call to
    /// itself), hashes passwords with ASP.NET Core Identity's PBKDF2 hasher, and creates the first platform operator
    /// from configuration.
    /// </summary>
    public static IHostApplicationBuilder AddDirectoryAccounts(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SignInOptions>().BindConfiguration(SignInOptions.SectionName);
        builder.Services.AddOptions<AccountsOptions>().BindConfiguration(AccountsOptions.SectionName);
        builder.Services.AddOptions<BootstrapOperatorOptions>().BindConfiguration(BootstrapOperatorOptions.SectionName);
        builder.Services.AddSingleton<IPasswordHasher<AccountRow>, PasswordHasher<AccountRow>>();
        builder.Services.AddOptions<KeyRotationOptions>().BindConfiguration(KeyRotationOptions.SectionName);
        builder.Services.AddSingleton<SigningKeys>();
        builder.Services.AddSingleton<KeyRotation>();
        builder.Services.AddHostedService<KeyRotationSchedule>();
        builder.Services.AddSingleton<TokenIssuer>();
        builder.Services.AddHostedService<AccountsStartup>();

        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .PostConfigure<SigningKeys>((options, keys) =>
            {
                var configured = options.TokenValidationParameters.IssuerSigningKeys?.ToList() ?? [];
                options.ConfigurationManager = new StaticConfigurationManager<OpenIdConnectConfiguration>(
                    new OpenIdConnectConfiguration { Issuer = options.TokenValidationParameters.ValidIssuer });
                options.TokenValidationParameters.IssuerSigningKeyResolver = (_, _, kid, _) => keys.Resolve(kid).Concat(configured);
            });
        return builder;
    }
}

/// <summary>Settings under <c>Directory:BootstrapOperator</c>: the first operator, created once when none exists.</summary>
public sealed class BootstrapOperatorOptions
{
    public const string SectionName = "Directory:BootstrapOperator";

    public string Login { get; set; } = "operator";

    public string DisplayName { get; set; } = "平台运营";

    /// <summary>Given by the deployment (the AppHost generates one); never in the repository. No password, no account.</summary>
    public string? Password { get; set; }
}

/// <summary>Loads (or generates) the signing keys and creates the bootstrap operator, before requests are taken.</summary>
internal sealed partial class AccountsStartup(
    SigningKeys keys,
    NpgsqlDataSource db,
    IPasswordHasher<AccountRow> hasher,
    Microsoft.Extensions.Options.IOptions<BootstrapOperatorOptions> bootstrap,
    ILogger<AccountsStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await keys.AllAsync(cancellationToken);

        var options = bootstrap.Value;
        if (string.IsNullOrEmpty(options.Password))
        {
            return;
        }
        var account = new AccountRow { Id = Guid.CreateVersion7(), Login = AccountRow.NormaliseLogin(options.Login) };
        var created = await AccountStore.CreateFirstOperatorAsync(db, account.Id, account.Login, options.DisplayName,
            hasher.HashPassword(account, options.Password), cancellationToken);
        if (created)
        {
            LogOperatorCreated(account.Login);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the first platform operator account '{Login}'")]
    private partial void LogOperatorCreated(string login);
}
