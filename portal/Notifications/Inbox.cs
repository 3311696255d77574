using Npgsql;

namespace TrainingPlatform.Portal.Notifications;

/// <summary>
/// One page's view of its user's inbox: the unread count the header shows, refreshed on demand (the inbox page
/// after marking read, the header on navigation and on a timer). Scoped: the header and the page of one browser
/// tab share it.
/// </summary>
public sealed class Inbox(NpgsqlDataSource db)
{
    public Recipient? Recipient { get; set; }

    public int Unread { get; private set; }

    public event Action? Changed;

    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        if (Recipient is null)
        {
            return;
        }
        try
        {
            Unread = await NotificationStore.UnreadCountAsync(db, Recipient, cancellationToken);
            Changed?.Invoke();
        }
        catch (NpgsqlException)
        {
            // The count is a hint; the inbox page itself reports a failure.
        }
    }

    public async Task MarkReadAsync(Guid? id, CancellationToken cancellationToken = default)
    {
        if (Recipient is not null)
        {
            await NotificationStore.MarkReadAsync(db, Recipient, id, cancellationToken);
            await RefreshAsync(cancellationToken);
        }
    }
}
