namespace TrainingPlatform.LocalServers;

internal sealed record PostgresBinaries(string Directory)
{
    public string InitDb => Path.Combine(Directory, "initdb");

    public string Postgres => Path.Combine(Directory, "postgres");

    public static PostgresBinaries Locate(string? requested)
    {
        var candidates = new List<string>();
        if (requested is not null)
        {
            candidates.Add(requested);
        }
        else
        {
            // Debian/Ubuntu keep each major version side by side; prefer the newest.
            if (System.IO.Directory.Exists("/usr/lib/postgresql"))
            {
                candidates.AddRange(System.IO.Directory.GetDirectories("/usr/lib/postgresql")
                    .Select(dir => (Dir: dir, Version: int.TryParse(Path.GetFileName(dir), out var v) ? v : 0))
                    .OrderByDescending(x => x.Version)
                    .Select(x => Path.Combine(x.Dir, "bin")));
            }

            if (LaunchCommand.FindExecutable("postgres") is { } onPath)
            {
                candidates.Add(Path.GetDirectoryName(onPath)!);
            }
        }

        foreach (var dir in candidates)
        {
            var binaries = new PostgresBinaries(dir);
            if (File.Exists(binaries.InitDb) && File.Exists(binaries.Postgres))
            {
                return binaries;
            }
        }

        throw new StartupException(requested is null
            ? "PostgreSQL is not installed. Install it with: sudo apt-get install -y postgresql (scripts/run.sh does this for you)"
            : $"no initdb/postgres in {requested}");
    }
}
