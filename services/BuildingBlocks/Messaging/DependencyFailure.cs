using System.Net.Sockets;
using Npgsql;

namespace TrainingPlatform.BuildingBlocks.Messaging;

/// <summary>
/// Thrown by a consumer when something it needs (its database, a service it waits on) is unavailable: the message is
/// not at fault, so it goes back to its queue instead of the error queue, and is consumed again once the dependency is back.
/// </summary>
public sealed class DependencyUnavailableException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>
/// Tells a failure of the world around a consumer (PostgreSQL down, restarting or refusing connections, a network
/// timeout) from a failure of the message itself. Only the latter may park a message in the error queue: an outage
/// says nothing about the message, and a parked message is lost to its consumer until an operator re-drives it.
/// </summary>
public static class DependencyFailure
{
    public static bool Is(Exception exception)
    {
        // Walk the whole chain: Npgsql, MassTransit and the batcher each wrap what they caught.
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case AggregateException aggregate when aggregate.InnerExceptions.Any(Is):
                case DependencyUnavailableException:
                case SocketException:
                case TimeoutException:
                    return true;
                case PostgresException postgres:
                    // Class 08: the connection failed; 57P01–57P03: the server is shutting down or starting up;
                    // 53300: too many connections. IsTransient adds deadlocks, serialization failures and lack of
                    // resources, which pass too; none of them is the message's fault.
                    return postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                        || postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                            or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections
                        || postgres.IsTransient;
                case NpgsqlException npgsql when npgsql.IsTransient:
                    return true;
            }
        }
        return false;
    }
}
