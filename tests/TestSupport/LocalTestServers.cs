using TrainingPlatform.LocalServers;

namespace TrainingPlatform.TestSupport;

/// <summary>
/// Starts a private PostgreSQL and RabbitMQ for this test process with the AppHost's own code (the same code that
/// runs the platform), in a temporary folder, and stops them when the process exits.
/// </summary>
internal static class LocalTestServers
{
    public static async Task<(string PostgresAdmin, string Messaging)> StartAsync()
    {
        // scripts/test.sh gives every run one root and deletes it afterwards; the test host may be gone before its
        // own clean-up below finishes.
        var parent = Environment.GetEnvironmentVariable("TRAININGPLATFORM_TEST_ROOT") is { Length: > 0 } given ? given : Path.GetTempPath();
        SweepLeftovers(parent);
        var root = Path.Combine(parent, $"trainingplatform-tests-{Guid.NewGuid():N}"[..40]);
        var postgresStarting = LocalPostgres.StartAsync(
            // A test run starts a hundred service instances or more against this one server, each with its pool and
            // its background loops (outbox, inbox, audit sealer, session versions): more room than a service's server needs.
            new LocalPostgresOptions { DataDirectory = Path.Combine(root, "postgres"), Ephemeral = true, MaxConnections = 600 }, NullLogSink.Instance);
        var rabbitStarting = LocalRabbitMq.StartAsync(
            new LocalRabbitMqOptions { DataDirectory = Path.Combine(root, "rabbitmq") }, NullLogSink.Instance);
        await Task.WhenAll(postgresStarting, rabbitStarting);
        var postgres = await postgresStarting;
        var rabbit = await rabbitStarting;

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            Task.WhenAll(rabbit.DisposeAsync().AsTask(), postgres.DisposeAsync().AsTask()).Wait(TimeSpan.FromSeconds(30));
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // A temp folder left behind is harmless.
            }
            catch (UnauthorizedAccessException)
            {
            }
        };
        return (postgres.AdminConnectionString, rabbit.ConnectionString);
    }

    /// <summary>
    /// A test host killed before its clean-up (a cancelled run, a debugger stopped) leaves half a gigabyte behind;
    /// a day of such runs fills a disk. Folders older than any test run can last are swept.
    /// </summary>
    private static void SweepLeftovers(string parent)
    {
        foreach (var folder in Directory.EnumerateDirectories(parent, "trainingplatform-tests-*"))
        {
            try
            {
                if (Directory.GetCreationTimeUtc(folder) < DateTime.UtcNow.AddHours(-12))
                {
                    Directory.Delete(folder, recursive: true);
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Someone else's, or still in use: leave it.
            }
        }
    }
}
