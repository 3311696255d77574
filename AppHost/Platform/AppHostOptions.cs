using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace TrainingPlatform.AppHost.Platform;

/// <summary>Command-line options; see <see cref="HelpText"/>.</summary>
public sealed record AppHostOptions
{
    public const int DefaultGatewayPort = 8080;

    public const int DefaultDashboardPort = 18888;

    /// <summary>The services that may run as several replicas behind the gateway.</summary>
    public static IReadOnlyList<string> Services { get; } = ["directory", "catalog", "enrollment", "credits", "mentoring"];

    public IReadOnlyDictionary<string, int> Replicas { get; init; } = new Dictionary<string, int>();

    public int GatewayPort { get; init; } = DefaultGatewayPort;

    public int DashboardPort { get; init; } = DefaultDashboardPort;

    public string? DataDirectory { get; init; }

    public bool InfraOnly { get; init; }

    /// <summary>Three RabbitMQ nodes in one cluster and PostgreSQL as a primary with a synchronous standby.</summary>
    public bool Cluster { get; init; }

    public bool ShowHelp { get; init; }

    /// <summary>Where the servers keep their data: <c>--data-dir</c>, or <c>.data</c> beside the AppHost's folder.</summary>
    public string DataDirectoryUnder(string appHostDirectory)
    {
        var path = Path.GetFullPath(DataDirectory ?? Path.Combine(appHostDirectory, "..", ".data"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>
    /// The options; false after printing the help (exit code 0) or what was wrong with the command line (exit code 2).
    /// </summary>
    public static bool TryFromCommandLine(IReadOnlyList<string> args, [NotNullWhen(true)] out AppHostOptions? options, out int exitCode)
    {
        exitCode = 0;
        try
        {
            options = Parse(args, Environment.GetEnvironmentVariable);
            if (!options.ShowHelp)
            {
                return true;
            }

            Console.WriteLine(HelpText);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"{e.Message} (see --help)");
            exitCode = 2;
        }

        options = null;
        return false;
    }

    public int ReplicasOf(string service) => Replicas.TryGetValue(service, out var count) ? count : 1;

    public static string HelpText => $"""
        TrainingPlatform AppHost (.NET Aspire) — runs PostgreSQL, RabbitMQ, the services, the portal and the gateway on
        this machine, with the Aspire dashboard.（本地编排：启动数据库、消息队列、各服务、门户与网关，附 Aspire 仪表板）

        Usage: scripts/run.sh [options]        (or: dotnet run --project AppHost -- [options])

        Options:
          --replicas <service>=<n>[,...]   Run n instances of a service behind the gateway; repeatable.
                                           Services: {string.Join(", ", Services)}
          --gateway-port <port>            Gateway port on 127.0.0.1 (default {DefaultGatewayPort}, or $GATEWAY_PORT)
          --dashboard-port <port>          Aspire dashboard port on 127.0.0.1 (default {DefaultDashboardPort}, or the next free one)
          --data-dir <path>                Where PostgreSQL and RabbitMQ keep their data and the demo password (default <repo>/.data)
          --infra-only                     Start only PostgreSQL and RabbitMQ (their connection strings are on the dashboard)
          --cluster                        Three RabbitMQ nodes in one cluster (quorum queues) and PostgreSQL as a primary
                                           with a synchronous streaming standby; the services are given every node and host
          -h, --help                       Show this help

        Environment:
          ConnectionStrings__postgres      Use this PostgreSQL (admin connection string) instead of starting one
          ConnectionStrings__messaging     Use this RabbitMQ (amqp://user:pass@host:port/) instead of starting one
          GATEWAY_PORT                     Default for --gateway-port
        """;

    public static AppHostOptions Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var replicas = new Dictionary<string, int>(StringComparer.Ordinal);
        var gatewayPort = environment("GATEWAY_PORT") is { Length: > 0 } fromEnvironment
            ? ParsePort(fromEnvironment, "GATEWAY_PORT")
            : DefaultGatewayPort;
        var dashboardPort = DefaultDashboardPort;
        string? dataDirectory = null;
        var infraOnly = false;
        var cluster = false;

        for (var i = 0; i < args.Count; i++)
        {
            var (name, inlineValue) = SplitOption(args[i]);
            string Value() => inlineValue
                ?? (i + 1 < args.Count ? args[++i] : throw new UsageException($"{name} needs a value"));

            switch (name)
            {
                case "-h" or "--help" or "-?":
                    return new AppHostOptions { ShowHelp = true };
                case "--replicas":
                    foreach (var (service, count) in ParseReplicas(Value()))
                    {
                        replicas[service] = count;
                    }

                    break;
                case "--gateway-port":
                    gatewayPort = ParsePort(Value(), name);
                    break;
                case "--dashboard-port":
                    dashboardPort = ParsePort(Value(), name);
                    break;
                case "--data-dir":
                    dataDirectory = Value();
                    break;
                case "--infra-only":
                    infraOnly = true;
                    break;
                case "--cluster":
                    cluster = true;
                    break;
                default:
                    throw new UsageException($"unknown option '{args[i]}'");
            }
        }

        return new AppHostOptions
        {
            Replicas = replicas,
            GatewayPort = gatewayPort,
            DashboardPort = dashboardPort,
            DataDirectory = dataDirectory,
            InfraOnly = infraOnly,
            Cluster = cluster,
        };
    }

    private static (string Name, string? Value) SplitOption(string arg)
    {
        var equals = arg.IndexOf('=', StringComparison.Ordinal);
        return arg.StartsWith("--", StringComparison.Ordinal) && equals > 0
            ? (arg[..equals], arg[(equals + 1)..])
            : (arg, null);
    }

    private static IEnumerable<(string Service, int Count)> ParseReplicas(string value)
    {
        foreach (var item in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = item.Split('=', 2, StringSplitOptions.TrimEntries);
            var service = parts[0].ToLowerInvariant();
            if (!Services.Contains(service))
            {
                throw new UsageException(
                    $"--replicas: unknown service '{parts[0]}' (known: {string.Join(", ", Services)})");
            }

            if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
                || count is < 1 or > 16)
            {
                throw new UsageException($"--replicas: expected <service>=<1..16>, got '{item}'");
            }

            yield return (service, count);
        }
    }

    private static int ParsePort(string value, string source) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? port
            : throw new UsageException($"{source}: '{value}' is not a TCP port");
}

/// <summary>Bad command line: print the message and the help, exit 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
