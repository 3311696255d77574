using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace TrainingPlatform.LocalServers;

/// <summary>
/// A private PostgreSQL server run from the installed binaries: its own cluster, port and generated
/// superuser password, listening on 127.0.0.1 only. Used by the orchestrator (persistent data under .data/)
/// and by integration tests (temp folder, <see cref="LocalPostgresOptions.Ephemeral"/>).
/// </summary>
/// <remarks>Data folder layout: <c>pgdata/</c> (the cluster), <c>superuser.password</c> (0600), <c>run/</c> (unix socket).</remarks>
public sealed class LocalPostgres : IPostgresServer
{
    public const string SuperUser = "postgres";

    private const string PasswordFileName = "superuser.password";

    private readonly ServerDataFolder _data;
    private readonly string? _temporarySocketDirectory;
    private readonly TimeSpan _shutdownTimeout;

    private LocalPostgres(ServerDataFolder data, ManagedProcess process, int port, string password,
        string? temporarySocketDirectory, TimeSpan shutdownTimeout)
    {
        _data = data;
        Process = process;
        Port = port;
        _temporarySocketDirectory = temporarySocketDirectory;
        _shutdownTimeout = shutdownTimeout;
        AdminConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = SuperUser,
            Password = password,
            Database = "postgres",
        }.ConnectionString;
    }

    public int Port { get; }

    public string DataDirectory => _data.Path;

    /// <summary>The postmaster; watch <see cref="ManagedProcess.Exited"/> to notice a crash.</summary>
    public ManagedProcess Process { get; }

    public string AdminConnectionString { get; }

    /// <summary>Use a server that is already running (e.g. ConnectionStrings__postgres); nothing is started or stopped.</summary>
    public static IPostgresServer UseExisting(string adminConnectionString) => new ExistingPostgres(adminConnectionString);

    public static async Task<LocalPostgres> StartAsync(
        LocalPostgresOptions? options = null, ILogSink? log = null, CancellationToken cancellationToken = default)
    {
        options ??= new LocalPostgresOptions();
        log ??= ConsoleLogSink.Shared;
        var data = ServerDataFolder.Resolve(options.DataDirectory, "trainingplatform-pg");
        string? temporarySocketDirectory = null;
        ManagedProcess? server = null;
        try
        {
            var port = options.Port != 0 ? options.Port : FreePort.Next();
            var launch = await PrepareAsync(data, port, options, log, cancellationToken);
            temporarySocketDirectory = launch.TemporarySocketDirectory;

            var readyLogged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            server = ManagedProcess.Start(new ManagedProcessSpec
            {
                Name = options.Name,
                FileName = launch.Program,
                Arguments = launch.Arguments,
                WorkingDirectory = data.Path,
                RunAsUser = launch.RunAsUser,
                StopSignal = StopSignal.Interrupt,
                OnOutputLine = line =>
                {
                    if (line.Contains("ready to accept connections", StringComparison.Ordinal))
                    {
                        readyLogged.TrySetResult();
                    }
                },
            }, log);

            var postgres = new LocalPostgres(data, server, port, launch.Password, temporarySocketDirectory, options.ShutdownTimeout);
            await postgres.WaitUntilAcceptingConnectionsAsync(readyLogged.Task, options.StartupTimeout, cancellationToken);
            return postgres;
        }
        catch
        {
            if (server is not null)
            {
                await server.StopAsync(options.ShutdownTimeout);
            }

            DeleteQuietly(temporarySocketDirectory);
            data.DeleteIfTemporary();
            throw;
        }
    }

    /// <summary>
    /// Everything but running the server, for an orchestrator that runs it itself (the AppHost's resource): creates
    /// the cluster in <paramref name="dataDirectory"/> on first use, hands its folders to the postgres user when we
    /// are root, stops a leftover server still holding it, and says how to start the server on <paramref name="port"/>.
    /// </summary>
    public static Task<PostgresLaunch> PrepareAsync(
        string dataDirectory, int port, LocalPostgresOptions options, ILogSink log, CancellationToken cancellationToken) =>
        PrepareAsync(ServerDataFolder.Resolve(dataDirectory, "unused"), port, options, log, cancellationToken);

    /// <summary>The superuser password kept beside the cluster, generated on first use (before the cluster exists).</summary>
    public static string PasswordFor(string dataDirectory)
    {
        var data = ServerDataFolder.Resolve(dataDirectory, "unused");
        var passwordFile = data.Combine(PasswordFileName);
        if (SecretFile.TryRead(passwordFile) is [var stored, ..])
        {
            return stored;
        }

        var password = SecretFile.NewSecret();
        SecretFile.Write(passwordFile, password);
        return password;
    }

    private static async Task<PostgresLaunch> PrepareAsync(
        ServerDataFolder data, int port, LocalPostgresOptions options, ILogSink log, CancellationToken cancellationToken)
    {
        var binaries = PostgresBinaries.Locate(options.BinDirectory);
        var runAs = ServiceAccount.RunAsWhenRoot("postgres");
        var (socketDirectory, isTemporary) = ChooseSocketDirectory(data, port);
        Directory.CreateDirectory(socketDirectory);

        var clusterDirectory = data.Combine("pgdata");
        var password = await PrepareClusterAsync(binaries, data, clusterDirectory, socketDirectory, runAs, options, log, cancellationToken);
        await LeftoverServer.StopIfRunningAsync(Path.Combine(clusterDirectory, "postmaster.pid"), "postgres",
            ProcessTree.SigInt, log, options.Name, cancellationToken);

        var arguments = new List<string>
        {
            "-D", clusterDirectory,
            "-p", port.ToString(CultureInfo.InvariantCulture),
            "-k", socketDirectory,
            "-c", "listen_addresses=127.0.0.1",
            "-c", $"max_connections={options.MaxConnections.ToString(CultureInfo.InvariantCulture)}",
        };
        if (options.Ephemeral)
        {
            arguments.AddRange(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
        }
        foreach (var (name, value) in options.Settings)
        {
            arguments.AddRange(["-c", $"{name}={value}"]);
        }

        return new PostgresLaunch(binaries.Postgres, arguments, runAs, password, isTemporary ? socketDirectory : null);
    }

    public string ConnectionStringFor(string database) => PostgresDatabases.ConnectionStringFor(AdminConnectionString, database);

    public Task EnsureDatabaseAsync(string database, CancellationToken cancellationToken = default) =>
        PostgresDatabases.EnsureAsync(AdminConnectionString, database, cancellationToken);

    /// <summary>Fast shutdown (SIGINT: disconnect clients, checkpoint, exit), SIGKILL if that takes too long.</summary>
    public async ValueTask DisposeAsync()
    {
        await Process.StopAsync(_shutdownTimeout);
        DeleteQuietly(_temporarySocketDirectory);
        _data.DeleteIfTemporary();
    }

    /// <summary>Creates the cluster on first use; returns the superuser password.</summary>
    private static async Task<string> PrepareClusterAsync(PostgresBinaries binaries, ServerDataFolder data, string clusterDirectory,
        string socketDirectory, string? runAs, LocalPostgresOptions options, ILogSink log, CancellationToken cancellationToken)
    {
        var passwordFile = data.Combine(PasswordFileName);
        var clusterExists = File.Exists(Path.Combine(clusterDirectory, "PG_VERSION"));
        var stored = SecretFile.TryRead(passwordFile);
        if (clusterExists)
        {
            if (stored is not [var existing, ..])
            {
                throw new StartupException(
                    $"the PostgreSQL cluster in {clusterDirectory} has no password file ({passwordFile}). "
                    + $"Delete {data.Path} to start over with an empty database.");
            }

            await ServiceAccount.GiveToAsync(runAs, recursive: false, cancellationToken, data.Path, socketDirectory);
            return existing;
        }

        // A half-initialised cluster from an interrupted initdb would make initdb refuse to run.
        if (Directory.Exists(clusterDirectory))
        {
            Directory.Delete(clusterDirectory, recursive: true);
        }

        var password = stored is [var kept, ..] ? kept : SecretFile.NewSecret();
        SecretFile.Write(passwordFile, password);
        await ServiceAccount.GiveToAsync(runAs, recursive: false, cancellationToken, data.Path, passwordFile, socketDirectory);

        log.WriteLine(options.Name, $"initialising a new cluster in {clusterDirectory}");
        var arguments = new List<string>
        {
            "-D", clusterDirectory,
            "-U", SuperUser,
            "--auth=scram-sha-256",
            $"--pwfile={passwordFile}",
            "-E", "UTF8",
            // C.UTF-8: byte-order collation (stable, fast) but UTF-8 aware character classes.
            HasCUtf8Locale() ? "--locale=C.UTF-8" : "--no-locale",
        };
        if (options.Ephemeral)
        {
            arguments.Add("--no-sync");
        }

        var initdb = ManagedProcess.Start(new ManagedProcessSpec
        {
            Name = $"{options.Name}-initdb",
            FileName = binaries.InitDb,
            Arguments = arguments,
            WorkingDirectory = data.Path,
            RunAsUser = runAs,
        }, NullLogSink.Instance);
        await using (initdb)
        {
            int exitCode;
            try
            {
                exitCode = await initdb.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                await initdb.StopAsync(TimeSpan.FromSeconds(5));
                throw;
            }

            if (exitCode != 0)
            {
                throw new StartupException(
                    $"initdb failed with exit code {exitCode} for {clusterDirectory}:{Environment.NewLine}{initdb.FormatLastLines()}");
            }
        }

        return password;
    }

    private async Task WaitUntilAcceptingConnectionsAsync(Task readyLogged, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Connecting earlier only earns a "FATAL: the database system is starting up" in the log. The log
        // line is a hint, not a requirement (other lc_messages), so probing starts anyway after a while.
        await Task.WhenAny(readyLogged, Process.Exited, Task.Delay(TimeSpan.FromSeconds(10), cancellationToken));

        var probe = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Pooling = false, Timeout = 3 }.ConnectionString;
        var elapsed = Stopwatch.StartNew();
        string lastError = "no attempt yet";
        while (true)
        {
            if (Process.HasExited)
            {
                await Process.Exited;
                throw new StartupException(
                    $"PostgreSQL exited with code {Process.ExitCode} while starting (data: {DataDirectory}). Last output:"
                    + $"{Environment.NewLine}{Process.FormatLastLines()}");
            }

            if (elapsed.Elapsed > timeout)
            {
                throw new StartupException(
                    $"PostgreSQL did not accept connections on 127.0.0.1:{Port} within {timeout.TotalSeconds:0} s "
                    + $"(last error: {lastError}). Last output:{Environment.NewLine}{Process.FormatLastLines()}");
            }

            try
            {
                await using var connection = new NpgsqlConnection(probe);
                await connection.OpenAsync(cancellationToken);
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidPassword)
            {
                throw new StartupException(
                    $"the password in {Path.Combine(DataDirectory, PasswordFileName)} does not match the cluster in "
                    + $"{Path.Combine(DataDirectory, "pgdata")}. Delete {DataDirectory} to start over with an empty database.", e);
            }
            catch (NpgsqlException e)
            {
                // Refused while starting up, or "the database system is starting up" (57P03).
                lastError = e.Message;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    /// <summary>Unix socket paths are limited to 107 bytes; deep data folders fall back to a short temp folder.</summary>
    private static (string Path, bool IsTemporary) ChooseSocketDirectory(ServerDataFolder data, int port)
    {
        var preferred = data.Combine("run");
        if (Path.Combine(preferred, $".s.PGSQL.{port}.lock").Length <= 100)
        {
            return (preferred, false);
        }

        return (Path.Combine(Path.GetTempPath(), $"tp-pg-{SecretFile.NewSecret(8)}"), true);
    }

    private static bool HasCUtf8Locale() =>
        Directory.Exists("/usr/lib/locale/C.utf8") || Directory.Exists("/usr/lib/locale/C.UTF-8");

    private static void DeleteQuietly(string? directory)
    {
        if (directory is null)
        {
            return;
        }

        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only a leftover empty folder in /tmp.
        }
    }
}

/// <summary>How to run a prepared PostgreSQL server: the program, its arguments, and the user to run it as (null: us).</summary>
public sealed record PostgresLaunch(
    string Program, IReadOnlyList<string> Arguments, string? RunAsUser, string Password, string? TemporarySocketDirectory);
