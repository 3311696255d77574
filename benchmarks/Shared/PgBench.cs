using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace TrainingPlatform.Benchmarks;

/// <summary>
/// pgbench (PostgreSQL 15's, as installed) run with a custom script against a database, for the ceilings the services
/// are compared with in the same run: transactions a second and the average latency, as pgbench prints them.
/// </summary>
internal static class PgBench
{
    public static async Task<(double Tps, double LatencyMs)> RunAsync(string connectionString, string script, int clients, int seconds)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo("/usr/lib/postgresql/15/bin/pgbench")
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
            Environment = { ["PGHOST"] = target.Host, ["PGPORT"] = target.Port.ToString(CultureInfo.InvariantCulture), ["PGUSER"] = target.Username,
                ["PGPASSWORD"] = target.Password, ["PGDATABASE"] = target.Database },
        };
        foreach (var argument in new[] { "-n", "-M", "prepared", "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", "2",
                     "-T", seconds.ToString(CultureInfo.InvariantCulture), "-f", script })
        {
            start.ArgumentList.Add(argument);
        }
        using var pgbench = Process.Start(start)!;
        var output = await pgbench.StandardOutput.ReadToEndAsync();
        var errors = await pgbench.StandardError.ReadToEndAsync();
        await pgbench.WaitForExitAsync();
        var tps = Figure(output, "tps = ");
        if (pgbench.ExitCode != 0 || tps is null)
        {
            throw new InvalidOperationException($"pgbench failed ({pgbench.ExitCode}): {output}{errors}");
        }
        return (tps.Value, Figure(output, "latency average = ") ?? double.NaN);
    }

    private static double? Figure(string output, string label) =>
        output.Split('\n').FirstOrDefault(l => l.StartsWith(label, StringComparison.Ordinal)) is { } line
            ? double.Parse(line[label.Length..].Split(' ')[0], CultureInfo.InvariantCulture)
            : null;
}
