using System.Globalization;

namespace TrainingPlatform.LocalServers;

/// <summary>
/// A streaming standby of a <see cref="LocalPostgres"/> primary, for the AppHost's cluster mode: a copy of the primary
/// taken by <c>pg_basebackup</c> into its own data folder on its first start, then the server in standby mode on its own
/// port, streaming from the primary under <see cref="ApplicationName"/> (the name the primary's
/// <c>synchronous_standby_names</c> lists).
/// </summary>
/// <remarks>Data folder layout: <c>pgdata/</c> (the copy), <c>primary.pgpass</c> (0600), <c>run/</c> (unix socket).</remarks>
public static class PostgresStandby
{
    public const string ApplicationName = "standby1";

    /// <summary>
    /// The primary's settings for a synchronous standby: a commit returns once the standby has it, so a promoted standby
    /// has every committed transaction.
    /// </summary>
    public static IReadOnlyDictionary<string, string> PrimarySettings { get; } = new Dictionary<string, string>
    {
        ["wal_level"] = "replica",
        ["synchronous_commit"] = "on",
        // One argument of the server's command line, so no quotes around it.
        ["synchronous_standby_names"] = $"FIRST 1 ({ApplicationName})",
    };

    /// <summary>
    /// How to run the standby on <paramref name="port"/>: a shell that takes the base backup when the folder holds none
    /// yet (the primary must be accepting connections by then), then becomes the server. The primary's port changes
    /// from run to run, so where to stream from is given on the command line at every start, not kept in the copy.
    /// </summary>
    public static async Task<PostgresLaunch> PrepareAsync(string dataDirectory, int port, int primaryPort, string primaryPassword,
        LocalPostgresOptions options, ILogSink log, CancellationToken cancellationToken)
    {
        var binaries = PostgresBinaries.Locate(options.BinDirectory);
        var runAs = ServiceAccount.RunAsWhenRoot("postgres");
        Directory.CreateDirectory(dataDirectory);
        var data = Path.GetFullPath(dataDirectory);
        var socketDirectory = Path.Combine(data, "run");
        Directory.CreateDirectory(socketDirectory);
        // The password in a file of the postgres user's rather than in primary_conninfo, which the dashboard and ps show.
        var passFile = Path.Combine(data, "primary.pgpass");
        SecretFile.Write(passFile, $"127.0.0.1:*:*:{LocalPostgres.SuperUser}:{primaryPassword}");
        await ServiceAccount.GiveToAsync(runAs, recursive: false, cancellationToken, data, socketDirectory, passFile);

        var clusterDirectory = Path.Combine(data, "pgdata");
        await LeftoverServer.StopIfRunningAsync(Path.Combine(clusterDirectory, "postmaster.pid"), "postgres",
            ProcessTree.SigInt, log, options.Name, cancellationToken);

        var conninfo = $"host=127.0.0.1 port={primaryPort.ToString(CultureInfo.InvariantCulture)} user={LocalPostgres.SuperUser} "
            + $"application_name={ApplicationName} passfile={passFile}";
        // Only an empty folder gets a copy: a standby that was promoted keeps its data (pg_basebackup removes what
        // it wrote when it fails).
        const string Script = """
            set -e
            if [ ! -f "$1/PG_VERSION" ]; then
              rm -rf "$1"
              "$2" -d "$3" -D "$1" -X stream -c fast -R
            fi
            shift 3
            exec "$@"
            """;
        var serverArguments = new List<string>
        {
            binaries.Postgres,
            "-D", clusterDirectory,
            "-p", port.ToString(CultureInfo.InvariantCulture),
            "-k", socketDirectory,
            "-c", "listen_addresses=127.0.0.1",
            "-c", $"max_connections={options.MaxConnections.ToString(CultureInfo.InvariantCulture)}",
            "-c", $"primary_conninfo={conninfo}",
            "-c", $"cluster_name={ApplicationName}",
            "-c", "hot_standby=on",
        };
        return new PostgresLaunch("/bin/sh",
            ["-c", Script, "standby", clusterDirectory, Path.Combine(binaries.Directory, "pg_basebackup"), conninfo, .. serverArguments],
            runAs, primaryPassword, null);
    }
}
