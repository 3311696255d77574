using System.Net.Sockets;
using System.Text.Json;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using Xunit;

namespace TrainingPlatform.BuildingBlocks.Tests;

/// <summary>Which failures send a message back to its queue (the world's fault) and which to the error queue (its own).</summary>
public sealed class DependencyFailureTests
{
    public static TheoryData<Exception> Outages => new()
    {
        new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused)),
        new NpgsqlException("Exception while reading from stream", new EndOfStreamException()),
        new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", PostgresErrorCodes.AdminShutdown),
        new PostgresException("the database system is starting up", "FATAL", "FATAL", PostgresErrorCodes.CannotConnectNow),
        new PostgresException("connection failure", "FATAL", "FATAL", PostgresErrorCodes.ConnectionFailure),
        new PostgresException("sorry, too many clients already", "FATAL", "FATAL", PostgresErrorCodes.TooManyConnections),
        new PostgresException("deadlock detected", "ERROR", "ERROR", PostgresErrorCodes.DeadlockDetected),
        new TimeoutException("The operation has timed out."),
        new InvalidOperationException("wrapped", new SocketException((int)SocketError.TimedOut)),
        new AggregateException(new InvalidOperationException("first"), new NpgsqlException("second", new SocketException())),
        new DependencyUnavailableException("The service is stopping"),
    };

    public static TheoryData<Exception> OwnFaults => new()
    {
        new PermanentMessageFailure("poison"),
        new JsonException("bad body"),
        new InvalidOperationException("a bug"),
        new PostgresException("duplicate key value violates unique constraint", "ERROR", "ERROR", PostgresErrorCodes.UniqueViolation),
        new PostgresException("null value in column", "ERROR", "ERROR", PostgresErrorCodes.NotNullViolation),
        new NpgsqlException("The connection is in a state that does not allow this operation"),
    };

    [Theory]
    [MemberData(nameof(Outages))]
    public void An_unreachable_or_restarting_dependency_is_not_the_message_s_fault(Exception exception) =>
        Assert.True(DependencyFailure.Is(exception));

    [Theory]
    [MemberData(nameof(OwnFaults))]
    public void A_message_that_breaks_a_rule_or_the_code_is_at_fault(Exception exception) =>
        Assert.False(DependencyFailure.Is(exception));
}
