using System.Diagnostics;
using System.Text;

namespace TrainingPlatform.LocalServers;

/// <summary>Builds the <c>setsid setpriv … -- program</c> command line described on <see cref="ManagedProcess"/>.</summary>
public static class LaunchCommand
{
    private static readonly string? SetSid = FindExecutable("setsid");
    private static readonly string? SetPriv = FindExecutable("setpriv");

    internal static ProcessStartInfo Build(ManagedProcessSpec spec)
    {
        var start = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = spec.WorkingDirectory ?? Environment.CurrentDirectory,
        };

        var runAs = ServiceAccount.IsRoot ? spec.RunAsUser : null;
        var command = new List<string>();
        if (SetSid is not null)
        {
            command.Add(SetSid);
        }

        if (SetPriv is not null)
        {
            command.Add(SetPriv);
            if (runAs is not null)
            {
                var account = SystemUser.Find(runAs)
                    ?? throw new StartupException($"system user '{runAs}' does not exist (needed to run {spec.Name} as root)");
                command.AddRange(["--reuid", account.Uid, "--regid", account.Gid, "--init-groups"]);
                // What runuser would set; HOME only if the caller did not choose one.
                start.Environment["HOME"] = account.Home;
                start.Environment["USER"] = runAs;
                start.Environment["LOGNAME"] = runAs;
            }

            command.AddRange(["--pdeathsig", spec.StopSignal == StopSignal.Interrupt ? "INT" : "TERM", "--"]);
        }
        else if (runAs is not null)
        {
            throw new StartupException($"setpriv (package util-linux) is required to run {spec.Name} as user '{runAs}'");
        }

        // setsid/setpriv would start fine and only then fail to exec, so check here for a clear error.
        command.Add(ResolveProgram(spec));
        command.AddRange(spec.Arguments);

        start.FileName = command[0];
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in spec.Environment)
        {
            if (value is null)
            {
                start.Environment.Remove(key);
            }
            else
            {
                start.Environment[key] = value;
            }
        }

        return start;
    }

    /// <summary>
    /// For an orchestrator that starts the program itself (the AppHost's resources): when we are root and
    /// <paramref name="runAs"/> is given, <c>setpriv --reuid … --pdeathsig SIG -- program args</c>, so the server runs
    /// as its own system user and stops if whoever started it dies; otherwise the program as it is.
    /// </summary>
    public static ServerProgram AsUser(ServerProgram program, string? runAs, StopSignal parentDeathSignal)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (!ServiceAccount.IsRoot || runAs is null)
        {
            return program;
        }

        var account = SystemUser.Find(runAs)
            ?? throw new StartupException($"system user '{runAs}' does not exist (needed to run {program.Program} as root)");
        var setPriv = SetPriv ?? throw new StartupException($"setpriv (package util-linux) is required to run {program.Program} as user '{runAs}'");
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["HOME"] = account.Home,
            ["USER"] = runAs,
            ["LOGNAME"] = runAs,
        };
        foreach (var (name, value) in program.Environment)
        {
            environment[name] = value;
        }

        return new ServerProgram(setPriv,
            ["--reuid", account.Uid, "--regid", account.Gid, "--init-groups",
             "--pdeathsig", parentDeathSignal == StopSignal.Interrupt ? "INT" : "TERM", "--", program.Program, .. program.Arguments],
            environment);
    }

    private static string ResolveProgram(ManagedProcessSpec spec)
    {
        var path = spec.FileName.Contains('/', StringComparison.Ordinal)
            ? Path.GetFullPath(spec.FileName, spec.WorkingDirectory ?? Environment.CurrentDirectory)
            : FindExecutable(spec.FileName);
        return path is not null && File.Exists(path)
            ? path
            : throw new StartupException($"could not start {spec.Name}: program '{spec.FileName}' not found");
    }

    internal static string? FindExecutable(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/bin", "/bin", "/usr/sbin"]))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

/// <summary>An /etc/passwd entry; numeric ids avoid depending on a group named like the user.</summary>
internal sealed record SystemUser(string Name, string Uid, string Gid, string Home)
{
    public static SystemUser? Find(string name)
    {
        foreach (var line in File.ReadLines("/etc/passwd"))
        {
            var fields = line.Split(':');
            if (fields.Length >= 6 && fields[0] == name)
            {
                return new SystemUser(name, fields[2], fields[3], fields[5]);
            }
        }

        return null;
    }
}
