using Npgsql;

namespace TrainingPlatform.LocalServers;

/// <summary>A PostgreSQL server we can create databases on — one we started or one we were given.</summary>
public interface IPostgresServer : IAsyncDisposable
{
    /// <summary>Superuser connection string to the <c>postgres</c> database.</summary>
    string AdminConnectionString { get; }

    /// <summary>The admin connection string pointed at <paramref name="database"/>.</summary>
    string ConnectionStringFor(string database);

    /// <summary>CREATE DATABASE unless it exists; safe to call concurrently and repeatedly.</summary>
    Task EnsureDatabaseAsync(string database, CancellationToken cancellationToken = default);
}

/// <summary>A server someone else runs (ConnectionStrings__postgres): we only create databases on it.</summary>
public sealed class ExistingPostgres(string adminConnectionString) : IPostgresServer
{
    public string AdminConnectionString { get; } = adminConnectionString;

    public string ConnectionStringFor(string database) => PostgresDatabases.ConnectionStringFor(AdminConnectionString, database);

    public Task EnsureDatabaseAsync(string database, CancellationToken cancellationToken = default) =>
        PostgresDatabases.EnsureAsync(AdminConnectionString, database, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

internal static class PostgresDatabases
{
    public static string ConnectionStringFor(string adminConnectionString, string database)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        return new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = database }.ConnectionString;
    }

    public static async Task EnsureAsync(string adminConnectionString, string database, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        if (database.Length > 63)
        {
            throw new ArgumentException($"database name '{database}' is longer than PostgreSQL's 63-byte limit", nameof(database));
        }

        // No pooling: these admin connections must not linger and keep a server from shutting down.
        var builder = new NpgsqlConnectionStringBuilder(adminConnectionString) { Pooling = false };
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(cancellationToken);

            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
            exists.Parameters.Add(new NpgsqlParameter { Value = database });
            if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
            {
                return;
            }

            // Identifiers cannot be bound as parameters; quoting makes any name safe.
            var quoted = "\"" + database.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            await using var create = new NpgsqlCommand("CREATE DATABASE " + quoted, connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Someone created it between our check and our CREATE — exactly what we wanted.
        }
        catch (NpgsqlException e) when (e is not PostgresException)
        {
            throw new StartupException(
                $"could not connect to PostgreSQL at {builder.Host}:{builder.Port} to create database '{database}': {e.Message}", e);
        }
    }
}
