using System.Security.Claims;
using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.Portal.Notifications;

/// <summary>
/// Whose inbox: a teacher's own (by teacher id), or the staff of one organisation together (by organisation id) —
/// a school's admins all see what concerns their school.
/// </summary>
public sealed record Recipient(string Kind, Guid Id)
{
    public const string Teacher = "teacher";
    public const string Staff = "staff";

    public static Recipient? Of(ClaimsPrincipal user)
    {
        var platformUser = PlatformUser.From(user);
        return platformUser.TeacherId is { } teacher ? new(Teacher, teacher)
            : platformUser.OrganisationId is { } organisation ? new(Staff, organisation)
            : null;
    }
}

public sealed record Notification
{
    public Guid Id { get; init; }
    public string Kind { get; init; } = "";
    public string Title { get; init; } = "";
    public string Body { get; init; } = "";
    public string? Link { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ReadAt { get; init; }
}

public static class NotificationStore
{
    /// <summary>Written inside the consumer's unit of work, so it exists once per event however often the event arrives.</summary>
    public static Task AddAsync(UnitOfWork unitOfWork, Recipient recipient, string kind, string title, string body, string? link,
        DateTimeOffset at, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into notifications (id, recipient_kind, recipient_id, kind, title, body, link, created_at)
            values (@Id, @RecipientKind, @RecipientId, @Kind, @Title, @Body, @Link, @At)
            """, new { Id = Guid.CreateVersion7(at), RecipientKind = recipient.Kind, RecipientId = recipient.Id, Kind = kind, Title = title, Body = body, Link = link, At = at },
            unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static async Task<IReadOnlyList<Notification>> LatestAsync(NpgsqlDataSource db, Recipient recipient, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<Notification>(new CommandDefinition("""
            select id, kind, title, body, link, created_at, read_at from notifications
            where recipient_kind = @Kind and recipient_id = @Id
            order by created_at desc limit @Limit
            """, new { recipient.Kind, recipient.Id, Limit = limit }, cancellationToken: cancellationToken))];
    }

    public static async Task<int> UnreadCountAsync(NpgsqlDataSource db, Recipient recipient, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "select count(*)::int from notifications where recipient_kind = @Kind and recipient_id = @Id and read_at is null",
            new { recipient.Kind, recipient.Id }, cancellationToken: cancellationToken));
    }

    /// <summary>Marks one notification (or, without an id, all of them) read; only the recipient's own.</summary>
    public static async Task MarkReadAsync(NpgsqlDataSource db, Recipient recipient, Guid? id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            update notifications set read_at = now()
            where recipient_kind = @Kind and recipient_id = @Id and read_at is null and (@NotificationId::uuid is null or id = @NotificationId)
            """, new { recipient.Kind, recipient.Id, NotificationId = id }, cancellationToken: cancellationToken));
    }
}
