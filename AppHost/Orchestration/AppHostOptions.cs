using System.Globalization;

namespace TrainingPlatform.AppHost.Orchestration;

/// <summary>Command-line options; see <see cref="HelpText"/>.</summary>
internal sealed record AppHostOptions
{
    public const int DefaultGatewayPort = 8080;

    public IReadOnlyDictionary<string, int> Replicas { get; init; } = new Dictionary<string, int>();

    public int GatewayPort { get; init; } = DefaultGatewayPort;

    public string? DataDirectory { get; init; }

    public bool InfraOnly { get; init; }

    public bool ShowHelp { get; init; }

    public int ReplicasOf(string service) => Replicas.TryGetValue(service, out var count) ? count : 1;

    public static string HelpText => $"""
        TrainingPlatform AppHost — runs PostgreSQL, RabbitMQ, the services and the gateway on this machine.
        （本地编排：启动数据库、消息队列、各服务与网关）

        Usage: dotnet run --project AppHost -- [options]

        Options:
          --replicas <service>=<n>[,...]   Run n instances of a service; repeatable.
                                           Services: {string.Join(", ", ServiceCatalog.Services.Select(s => s.Name))}
          --gateway-port <port>            Gateway port on 127.0.0.1 (default {DefaultGatewayPort}, or $GATEWAY_PORT)
          --data-dir <path>                Where PostgreSQL and RabbitMQ keep their data (default <repo>/.data)
          --infra-only                     Start only PostgreSQL and RabbitMQ, print connection strings, wait for Ctrl+C
          -h, --help                       Show this help

        Environment:
          ConnectionStrings__postgres      Use this PostgreSQL (admin connection string) instead of starting one
          ConnectionStrings__messaging     Use this RabbitMQ (amqp://user:pass@host:port/) instead of starting one
          GATEWAY_PORT                     Default for --gateway-port
          OTEL_EXPORTER_OTLP_ENDPOINT      Passed on to the services and the gateway
          NO_COLOR                         Plain output without colours

        The services must be built first ({BuildOutput.Configuration} build of the AppHost expects
        bin/{BuildOutput.Configuration}/net10.0): dotnet build TrainingPlatform.sln -c {BuildOutput.Configuration}
        """;

    public static AppHostOptions Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var replicas = new Dictionary<string, int>(StringComparer.Ordinal);
        var gatewayPort = environment("GATEWAY_PORT") is { Length: > 0 } fromEnvironment
            ? ParsePort(fromEnvironment, "GATEWAY_PORT")
            : DefaultGatewayPort;
        string? dataDirectory = null;
        var infraOnly = false;

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
                case "--data-dir":
                    dataDirectory = Value();
                    break;
                case "--infra-only":
                    infraOnly = true;
                    break;
                default:
                    throw new UsageException($"unknown option '{args[i]}'");
            }
        }

        return new AppHostOptions
        {
            Replicas = replicas,
            GatewayPort = gatewayPort,
            DataDirectory = dataDirectory,
            InfraOnly = infraOnly,
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
            if (ServiceCatalog.Services.All(s => s.Name != service))
            {
                throw new UsageException(
                    $"--replicas: unknown service '{parts[0]}' (known: {string.Join(", ", ServiceCatalog.Services.Select(s => s.Name))})");
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
