using System.Diagnostics;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;

namespace TrainingPlatform.BuildingBlocks.Persistence;

/// <summary>
/// One PostgreSQL transaction in which a handler saves its state change and the messages that announce it.
/// The messages go to the outbox table, so they are sent if and only if the transaction commits.
/// Handlers run their SQL with Dapper on <see cref="Connection"/> inside <see cref="Transaction"/>.
/// </summary>
public sealed class UnitOfWork : IAsyncDisposable
{
    private readonly List<(object Message, ActivityContext Trace)> _outgoing = [];
    private bool _wroteOutbox;
    private List<Action>? _afterCommit;

    private UnitOfWork(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        Connection = connection;
        Transaction = transaction;
    }

    public NpgsqlConnection Connection { get; }

    public NpgsqlTransaction Transaction { get; }

    public static async Task<UnitOfWork> BeginAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            return new UnitOfWork(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Queues <paramref name="message"/> for publishing once this transaction commits.</summary>
    public Task PublishAsync<TMessage>(TMessage message, CancellationToken cancellationToken) where TMessage : class
    {
        _outgoing.Add((message, Activity.Current?.Context ?? default));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Queues many messages, each published under its own trace: a batch of consumed messages is handled in one
    /// transaction, but each announcement belongs to the message that caused it.
    /// </summary>
    public Task PublishAllAsync(IReadOnlyList<(object Message, ActivityContext Trace)> messages, CancellationToken cancellationToken)
    {
        _outgoing.AddRange(messages);
        return Task.CompletedTask;
    }

    /// <summary>
    /// For handlers that insert outbox rows with their own set-based SQL (a bulk import): the dispatcher is still
    /// woken at commit.
    /// </summary>
    public void WroteOutboxRows() => _wroteOutbox = true;

    /// <summary>
    /// Runs <paramref name="action"/> once this transaction has committed (never if it rolls back): a building block
    /// that wrote rows for a background worker wakes it, as the outbox's dispatcher is woken.
    /// </summary>
    public void AfterCommit(Action action) => (_afterCommit ??= []).Add(action);

    /// <summary>
    /// Writes the queued messages to the outbox in one statement, commits, and then wakes the dispatchers: a request
    /// that changes one row and announces it pays three round trips. A rolled-back transaction wakes nobody.
    /// </summary>
    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        var wroteOutbox = _wroteOutbox || _outgoing.Count > 0;
        if (_outgoing.Count > 0)
        {
            await OutboxWriter.AddAsync(Connection, Transaction, _outgoing, cancellationToken);
            _outgoing.Clear();
        }
        await Transaction.CommitAsync(cancellationToken);
        if (wroteOutbox)
        {
            OutboxSignal.Raise();
        }
        if (_afterCommit is { } afterCommit)
        {
            _afterCommit = null;
            afterCommit.ForEach(action => action());
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Disposing an uncommitted transaction rolls it back: state and messages are lost together.
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}
