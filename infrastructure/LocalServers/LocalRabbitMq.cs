using System.Diagnostics;
using System.Globalization;

namespace TrainingPlatform.LocalServers;

/// <summary>
/// A private RabbitMQ node run from Debian's rabbitmq-server package: own ports, own config, generated
/// credentials, listening on 127.0.0.1 only.
/// <para>
/// Erlang normally starts a shared, daemonised <c>epmd</c> that outlives everything; instead we run our own
/// epmd in the foreground on a private port (ERL_EPMD_PORT), so stopping the broker leaves no process behind
/// and several brokers (parallel tests) never share one.
/// </para>
/// </summary>
/// <remarks>Data folder layout: <c>rabbitmq.conf</c>, <c>enabled_plugins</c>, <c>credentials</c> (0600), <c>mnesia/</c>, <c>log/</c>.</remarks>
public sealed class LocalRabbitMq : IRabbitMqServer
{
    public const string NotInstalledMessage =
        "RabbitMQ is not installed. Install it with: sudo apt-get install -y rabbitmq-server (scripts/run.sh does this for you)";

    private const string ReadyLine = "Server startup complete";
    private const string CredentialsFileName = "credentials";

    private readonly ServerDataFolder _data;
    private readonly TimeSpan _shutdownTimeout;

    private LocalRabbitMq(ServerDataFolder data, ManagedProcess epmd, ManagedProcess server, int amqpPort,
        string nodeName, string user, string password, TimeSpan shutdownTimeout)
    {
        _data = data;
        Epmd = epmd;
        Process = server;
        AmqpPort = amqpPort;
        NodeName = nodeName;
        UserName = user;
        Password = password;
        _shutdownTimeout = shutdownTimeout;
    }

    public int AmqpPort { get; }

    /// <summary>Full Erlang node name, e.g. <c>tp43127@localhost</c>.</summary>
    public string NodeName { get; }

    public string UserName { get; }

    public string Password { get; }

    public string DataDirectory => _data.Path;

    /// <summary>The broker (its start script); watch <see cref="ManagedProcess.Exited"/> to notice a crash.</summary>
    public ManagedProcess Process { get; }

    public ManagedProcess Epmd { get; }

    public string ConnectionString =>
        $"amqp://{Uri.EscapeDataString(UserName)}:{Uri.EscapeDataString(Password)}@127.0.0.1:{AmqpPort}/";

    /// <summary>Use a broker that is already running (e.g. ConnectionStrings__messaging); nothing is started or stopped.</summary>
    public static IRabbitMqServer UseExisting(string connectionString) => new ExistingRabbitMq(connectionString);

    public static async Task<LocalRabbitMq> StartAsync(
        LocalRabbitMqOptions? options = null, ILogSink? log = null, CancellationToken cancellationToken = default)
    {
        options ??= new LocalRabbitMqOptions();
        log ??= ConsoleLogSink.Shared;
        var data = ServerDataFolder.Resolve(options.DataDirectory, "trainingplatform-rabbitmq");
        ManagedProcess? epmd = null;
        ManagedProcess? server = null;
        RabbitMqLaunch? launch = null;
        try
        {
            var free = new Queue<int>(FreePort.Allocate(3));
            var amqpPort = options.AmqpPort != 0 ? options.AmqpPort : free.Dequeue();
            var distPort = options.DistPort != 0 ? options.DistPort : free.Dequeue();
            var epmdPort = options.EpmdPort != 0 ? options.EpmdPort : free.Dequeue();
            launch = await PrepareAsync(data, new RabbitMqPorts(amqpPort, distPort, epmdPort), options, log, cancellationToken);

            epmd = ManagedProcess.Start(new ManagedProcessSpec
            {
                Name = $"{options.Name}-epmd",
                FileName = launch.Epmd.Program,
                Arguments = launch.Epmd.Arguments,
                Environment = launch.Epmd.Environment,
                WorkingDirectory = data.Path,
                RunAsUser = launch.RunAsUser,
            }, log);
            // Must answer before the broker starts, or Erlang would launch its own daemonised epmd.
            await WaitForPortAsync(epmd, epmdPort, TimeSpan.FromSeconds(15), "epmd", EpmdProbe.AnswersAsync, cancellationToken);

            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            server = ManagedProcess.Start(new ManagedProcessSpec
            {
                Name = options.Name,
                FileName = launch.Server.Program,
                Arguments = launch.Server.Arguments,
                Environment = launch.Server.Environment,
                WorkingDirectory = data.Path,
                RunAsUser = launch.RunAsUser,
                StopSignal = StopSignal.Terminate,
                OnOutputLine = line =>
                {
                    if (line.Contains(ReadyLine, StringComparison.Ordinal))
                    {
                        ready.TrySetResult();
                    }
                },
            }, log);

            await WaitUntilReadyAsync(server, ready.Task, amqpPort, options.StartupTimeout, cancellationToken);
            return new LocalRabbitMq(data, epmd, server, amqpPort, launch.NodeName, launch.User, launch.Password, options.ShutdownTimeout);
        }
        catch
        {
            if (server is not null)
            {
                await server.StopAsync(options.ShutdownTimeout);
            }

            if (epmd is not null)
            {
                await epmd.StopAsync(TimeSpan.FromSeconds(5));
            }

            if (launch is { FirstBoot: true } && server is not null)
            {
                DiscardNodeState(data, launch.NodeName);
            }

            data.DeleteIfTemporary();
            throw;
        }
    }

    /// <summary>
    /// Everything but running the broker, for an orchestrator that runs it itself (the AppHost's resource): writes
    /// its configuration into <paramref name="dataDirectory"/>, hands the folder to the rabbitmq user when we are
    /// root, stops a leftover broker still holding it, and says how to start a private epmd and then the broker.
    /// </summary>
    public static Task<RabbitMqLaunch> PrepareAsync(
        string dataDirectory, RabbitMqPorts ports, LocalRabbitMqOptions options, ILogSink log, CancellationToken cancellationToken) =>
        PrepareAsync(ServerDataFolder.Resolve(dataDirectory, "unused"), ports, options, log, cancellationToken);

    /// <summary>
    /// The broker's user and password kept beside its data, generated on first use. default_user is applied only
    /// when the broker's database is created, so new credentials start that database afresh.
    /// </summary>
    public static (string User, string Password) CredentialsFor(string dataDirectory)
    {
        var data = ServerDataFolder.Resolve(dataDirectory, "unused");
        var credentialsFile = data.Combine(CredentialsFileName);
        if (SecretFile.TryRead(credentialsFile) is [var user, var password, ..])
        {
            return (user, password);
        }

        user = $"tp-{SecretFile.NewSecret(8)}";
        password = SecretFile.NewSecret();
        SecretFile.Write(credentialsFile, user, password);
        var mnesia = data.Combine("mnesia");
        if (Directory.Exists(mnesia))
        {
            Directory.Delete(mnesia, recursive: true);
        }

        return (user, password);
    }

    private static async Task<RabbitMqLaunch> PrepareAsync(
        ServerDataFolder data, RabbitMqPorts ports, LocalRabbitMqOptions options, ILogSink log, CancellationToken cancellationToken)
    {
        var binaries = RabbitMqBinaries.Locate(options.BinDirectory);
        var runAs = ServiceAccount.RunAsWhenRoot("rabbitmq");
        var nodeName = $"{options.NodeName ?? $"tp{ports.Amqp.ToString(CultureInfo.InvariantCulture)}"}@localhost";
        var (user, password) = PrepareFolder(data, ports.Amqp, options);
        var mnesia = data.Combine("mnesia");
        var firstBoot = !Directory.Exists(Path.Combine(mnesia, nodeName));
        if (options.Cluster is { BootsFirst: var bootsFirst } && bootsFirst == nodeName && !firstBoot)
        {
            // What `rabbitmqctl force_boot` does: a clustered node waits at boot for the peers it last saw running, who
            // wait for it in turn; the node that starts first boots on its own data, and the others join it one by one.
            await File.WriteAllTextAsync(Path.Combine(mnesia, nodeName, "force_load"), string.Empty, cancellationToken);
        }

        await ServiceAccount.GiveToAsync(runAs, recursive: true, cancellationToken, data.Path);
        await LeftoverServer.StopIfRunningAsync(Path.Combine(mnesia, $"{nodeName}.pid"), "beam",
            ProcessTree.SigTerm, log, options.Name, cancellationToken);

        var epmd = new ServerProgram(binaries.Epmd, ["-port", ports.Epmd.ToString(CultureInfo.InvariantCulture)],
            new Dictionary<string, string?> { ["ERL_EPMD_ADDRESS"] = "127.0.0.1" });
        var server = new ServerProgram(binaries.Server, [], ServerEnvironment(data, nodeName, ports));
        return new RabbitMqLaunch(epmd, server, runAs, nodeName, user, password, firstBoot);
    }

    /// <summary>Stops the broker (SIGTERM: its script runs a clean shutdown), then our epmd.</summary>
    public async ValueTask DisposeAsync()
    {
        await Process.StopAsync(_shutdownTimeout);
        await Epmd.StopAsync(TimeSpan.FromSeconds(5));
        _data.DeleteIfTemporary();
    }

    /// <summary>
    /// A first boot that was interrupted can leave a half-created node database that the next boot
    /// refuses; nothing of value is in it yet, so start clean next time.
    /// </summary>
    private static void DiscardNodeState(ServerDataFolder data, string nodeName)
    {
        var mnesia = new DirectoryInfo(data.Combine("mnesia"));
        if (!mnesia.Exists)
        {
            return;
        }

        foreach (var entry in mnesia.EnumerateFileSystemInfos(nodeName + "*"))
        {
            try
            {
                if (entry is DirectoryInfo directory)
                {
                    directory.Delete(recursive: true);
                }
                else
                {
                    entry.Delete();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: the broker may still report a clear error next time.
            }
        }
    }

    /// <summary>Writes config files; returns the broker's user and password (generated on first use).</summary>
    private static (string User, string Password) PrepareFolder(ServerDataFolder data, int amqpPort, LocalRabbitMqOptions options)
    {
        var (user, password) = CredentialsFor(data.Path);
        var config = new List<string>
        {
            $"listeners.tcp.default = 127.0.0.1:{amqpPort.ToString(CultureInfo.InvariantCulture)}",
            $"default_user = {user}",
            $"default_pass = {password}",
            "loopback_users = none",
        };
        if (options.ManagementPort != 0)
        {
            config.Add($"management.tcp.ip = 127.0.0.1");
            config.Add($"management.tcp.port = {options.ManagementPort.ToString(CultureInfo.InvariantCulture)}");
        }

        if (options.Cluster is { } cluster)
        {
            // Peer discovery from the node list rather than join_cluster calls after start: a node that boots for the
            // first time joins whichever listed node is running, and one that restarts rejoins its cluster by itself.
            config.Add("cluster_formation.peer_discovery_backend = classic_config");
            config.AddRange(cluster.Nodes.Select((node, index) =>
                $"cluster_formation.classic_config.nodes.{(index + 1).ToString(CultureInfo.InvariantCulture)} = {node}"));
            // Erlang reads the cookie from $HOME (the data folder, see ServerEnvironment); it refuses one others can read.
            SecretFile.Write(data.Combine(".erlang.cookie"), cluster.ErlangCookie);
        }

        SecretFile.Write(data.Combine("rabbitmq.conf"), [.. config]);
        File.WriteAllText(data.Combine("enabled_plugins"), options.ManagementPort != 0 ? "[rabbitmq_management].\n" : "[].\n");
        // Empty on purpose: keeps /etc/rabbitmq/rabbitmq-env.conf from changing node name, ports or paths.
        File.WriteAllText(data.Combine("rabbitmq-env.conf"), string.Empty);
        Directory.CreateDirectory(data.Combine("mnesia"));
        Directory.CreateDirectory(data.Combine("log"));
        return (user, password);
    }

    private static Dictionary<string, string?> ServerEnvironment(ServerDataFolder data, string nodeName, RabbitMqPorts ports) => new()
    {
        // Erlang keeps its cookie in $HOME; the service user's real home may not be writable.
        ["HOME"] = data.Path,
        ["RABBITMQ_NODENAME"] = nodeName,
        ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
        ["RABBITMQ_NODE_PORT"] = ports.Amqp.ToString(CultureInfo.InvariantCulture),
        ["RABBITMQ_DIST_PORT"] = ports.Distribution.ToString(CultureInfo.InvariantCulture),
        ["ERL_EPMD_PORT"] = ports.Epmd.ToString(CultureInfo.InvariantCulture),
        ["RABBITMQ_CONF_ENV_FILE"] = data.Combine("rabbitmq-env.conf"),
        ["RABBITMQ_CONFIG_FILE"] = data.Combine("rabbitmq.conf"),
        ["RABBITMQ_ADVANCED_CONFIG_FILE"] = data.Combine("advanced.config"),
        ["RABBITMQ_ENABLED_PLUGINS_FILE"] = data.Combine("enabled_plugins"),
        ["RABBITMQ_MNESIA_BASE"] = data.Combine("mnesia"),
        ["RABBITMQ_LOG_BASE"] = data.Combine("log"),
        ["RABBITMQ_LOGS"] = "-",
        // The distribution listener would otherwise listen on every interface.
        ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
    };

    private static async Task WaitForPortAsync(ManagedProcess process, int port, TimeSpan timeout, string what,
        Func<int, CancellationToken, Task<bool>> probe, CancellationToken cancellationToken)
    {
        var elapsed = Stopwatch.StartNew();
        while (!await probe(port, cancellationToken))
        {
            if (process.HasExited)
            {
                await process.Exited;
                throw new StartupException(
                    $"{what} exited with code {process.ExitCode} while starting. Last output:{Environment.NewLine}{process.FormatLastLines()}");
            }

            if (elapsed.Elapsed > timeout)
            {
                throw new StartupException($"{what} did not listen on 127.0.0.1:{port} within {timeout.TotalSeconds:0} s");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }
    }

    /// <summary>The log line says the broker finished booting; the TCP connect proves the AMQP listener is up.</summary>
    private static async Task WaitUntilReadyAsync(
        ManagedProcess server, Task startupComplete, int amqpPort, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            var finished = await Task.WhenAny(startupComplete, server.Exited).WaitAsync(timer.Token);
            if (finished != startupComplete)
            {
                throw new StartupException(
                    $"RabbitMQ exited with code {server.ExitCode} while starting. Last output:{Environment.NewLine}{server.FormatLastLines()}");
            }

            await WaitForPortAsync(server, amqpPort, timeout, "RabbitMQ", TcpProbe.CanConnectAsync, timer.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new StartupException(
                $"RabbitMQ was not ready on 127.0.0.1:{amqpPort} within {timeout.TotalSeconds:0} s. Last output:"
                + $"{Environment.NewLine}{server.FormatLastLines()}");
        }
    }
}

internal sealed record RabbitMqBinaries(string Server, string Epmd)
{
    public static RabbitMqBinaries Locate(string? binDirectory)
    {
        // The real script, not /usr/sbin/rabbitmq-server: that wrapper insists on switching to the rabbitmq user itself.
        var server = Path.Combine(binDirectory ?? "/usr/lib/rabbitmq/bin", "rabbitmq-server");
        var epmd = new[] { "/usr/bin/epmd", "/usr/lib/erlang/bin/epmd" }.FirstOrDefault(File.Exists)
            ?? LaunchCommand.FindExecutable("epmd");
        if (!File.Exists(server) || epmd is null)
        {
            throw new StartupException(LocalRabbitMq.NotInstalledMessage);
        }

        return new RabbitMqBinaries(server, epmd);
    }
}

/// <summary>A broker's three ports on 127.0.0.1: AMQP, Erlang distribution (rabbitmqctl) and its private epmd.</summary>
public sealed record RabbitMqPorts(int Amqp, int Distribution, int Epmd);

/// <summary>A program with its arguments and environment (entries override the inherited one; null removes one).</summary>
public sealed record ServerProgram(string Program, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string?> Environment);

/// <summary>How to run a prepared broker: its epmd first (it must answer before the broker starts), then the broker.</summary>
public sealed record RabbitMqLaunch(
    ServerProgram Epmd, ServerProgram Server, string? RunAsUser, string NodeName, string User, string Password, bool FirstBoot);
