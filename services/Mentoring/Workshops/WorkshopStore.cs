using Dapper;
using Npgsql;

namespace TrainingPlatform.Services.Mentoring.Workshops;

/// <summary>Whether a caller hosts a workshop, and whether their school chose its topic.</summary>
public sealed record WorkshopAccess
{
    public bool Host { get; init; }
    public bool Member { get; init; }
}

/// <summary>Reads and writes of workshops (one per topic, opened from Catalog's topic copy), their hosts and posts.</summary>
public static class WorkshopStore
{
    private const string WorkshopSql = """
        select w.id, w.program_year_id, t.code, t.name, w.opened_at from workshops w join topics t on t.id = w.topic_id
        """;

    /// <summary>Which schools' teachers are members: those whose school chose the topic (read from the schools' choices copy).</summary>
    private const string MemberSchoolsSql = """
        exists (select 1 from school_topics s where s.program_year_id = w.program_year_id and w.topic_id = any(s.topic_ids) and s.school_id = @SchoolId)
        """;

    /// <summary>The year's workshops: all of them (<paramref name="all"/>), else those the school chose or the teacher hosts.</summary>
    public static async Task<List<WorkshopRow>> OfYearAsync(NpgsqlConnection connection, Guid yearId, bool all, Guid? schoolId, Guid? teacherId,
        CancellationToken cancellationToken)
    {
        var sees = all ? "true"
            : $"({MemberSchoolsSql} or exists (select 1 from workshop_hosts h where h.workshop_id = w.id and h.teacher_id = @TeacherId))";
        return [.. await connection.QueryAsync<WorkshopRow>(new CommandDefinition(
            WorkshopSql + $" where w.program_year_id = @YearId and {sees} order by t.code",
            new { YearId = yearId, SchoolId = schoolId, TeacherId = teacherId }, cancellationToken: cancellationToken))];
    }

    public static Task<WorkshopRow?> FindAsync(NpgsqlConnection connection, Guid workshopId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<WorkshopRow>(new CommandDefinition(WorkshopSql + " where w.id = @Id",
            new { Id = workshopId }, cancellationToken: cancellationToken));

    /// <summary>Whether the teacher hosts the workshop and whether the school chose its topic; null when there is no such workshop.</summary>
    public static Task<WorkshopAccess?> AccessAsync(NpgsqlConnection connection, Guid workshopId, Guid? teacherId, Guid? schoolId,
        CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<WorkshopAccess>(new CommandDefinition($"""
            select exists (select 1 from workshop_hosts h where h.workshop_id = w.id and h.teacher_id = @TeacherId) as host, {MemberSchoolsSql} as member
            from workshops w where w.id = @Id
            """, new { Id = workshopId, TeacherId = teacherId, SchoolId = schoolId }, cancellationToken: cancellationToken));

    /// <summary>Makes the teacher a host; the rows inserted (0: they already are).</summary>
    public static Task<int> AddHostAsync(NpgsqlConnection connection, Guid workshopId, Guid teacherId, string by, DateTimeOffset now,
        CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into workshop_hosts (workshop_id, teacher_id, appointed_by, appointed_at) values (@WorkshopId, @TeacherId, @By, @Now)
            on conflict do nothing
            """, new { WorkshopId = workshopId, TeacherId = teacherId, By = by, Now = now }, cancellationToken: cancellationToken));

    /// <summary>Every post and reply of the workshop, oldest first.</summary>
    public static async Task<List<PostRow>> PostsAsync(NpgsqlConnection connection, Guid workshopId, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<PostRow>(new CommandDefinition("""
            select id, parent_id, kind, title, body, attachments, author_id, author_name, created_at
            from workshop_posts where workshop_id = @Id order by created_at, id
            """, new { Id = workshopId }, cancellationToken: cancellationToken))];

    /// <summary>Is <paramref name="postId"/> a post (not a reply) of the workshop?</summary>
    public static Task<bool> IsPostAsync(NpgsqlConnection connection, Guid workshopId, Guid postId, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from workshop_posts where id = @PostId and workshop_id = @WorkshopId and parent_id is null)",
            new { PostId = postId, WorkshopId = workshopId }, cancellationToken: cancellationToken));

    public static Task InsertPostAsync(NpgsqlConnection connection, Guid workshopId, PostRow post, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into workshop_posts (id, workshop_id, parent_id, kind, title, body, attachments, author_id, author_name, created_at)
            values (@Id, @WorkshopId, @ParentId, @Kind, @Title, @Body, @Attachments, @AuthorId, @AuthorName, @CreatedAt)
            """, new
        {
            post.Id, WorkshopId = workshopId, post.ParentId, post.Kind, post.Title, post.Body, post.Attachments, post.AuthorId, post.AuthorName, post.CreatedAt,
        }, cancellationToken: cancellationToken));
}
