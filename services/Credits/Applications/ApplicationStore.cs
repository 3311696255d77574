using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.Services.Credits.Applications;

/// <summary>Credit applications and the history of their steps.</summary>
public static class ApplicationStore
{
    private const string SelectSql = """
        select a.id, a.teacher_id, coalesce(t.name, '') as teacher_name, a.school_path, a.title, a.description, a.hours, a.category, a.mode, a.level,
               a.source, a.occurred_on, a.attachment_ref, a.status, a.version, a.created_at, a.updated_at
        from credit_applications a left join teachers t on t.id = a.teacher_id
        """;

    /// <summary>The school the teacher works at, as Credits last heard; null before their profile arrived.</summary>
    public static Task<string?> SchoolPathOfAsync(UnitOfWork unitOfWork, Guid? teacherId, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "select school_path from teachers where id = @Id", new { Id = teacherId }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task InsertAsync(UnitOfWork unitOfWork, Guid id, Guid? teacherId, string schoolPath, ApplicationRequest request, DateTimeOffset now,
        CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into credit_applications (id, teacher_id, school_path, title, description, hours, category, mode, level, source, occurred_on,
                                             attachment_ref, status, version, created_at, updated_at)
            values (@Id, @TeacherId, @SchoolPath, @Title, @Description, @Hours, @Category, @Mode, @Level, @Source, @OccurredOn, @AttachmentRef,
                    'submitted', 1, @Now, @Now)
            """, new
        {
            Id = id, TeacherId = teacherId, SchoolPath = schoolPath, Title = request.Title!.Trim(), Description = request.Description ?? "",
            request.Hours, request.Category, request.Mode, request.Level, request.Source, request.OccurredOn, request.AttachmentRef, Now = now,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task AmendAsync(UnitOfWork unitOfWork, Guid id, ApplicationRequest request, DateTimeOffset now, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            update credit_applications
            set title = @Title, description = @Description, hours = @Hours, category = @Category, mode = @Mode, level = @Level, source = @Source,
                occurred_on = @OccurredOn, attachment_ref = @AttachmentRef, version = version + 1, updated_at = @Now
            where id = @Id
            """, new
        {
            Id = id, Title = request.Title!.Trim(), Description = request.Description ?? "", request.Hours, request.Category, request.Mode, request.Level,
            request.Source, request.OccurredOn, request.AttachmentRef, Now = now,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// The applications a caller may list (the last 500 changed): with <paramref name="status"/>, only those; with
    /// <paramref name="teacherId"/>, only that teacher's, else those in the caller's scope.
    /// </summary>
    public static async Task<IReadOnlyList<ApplicationRow>> ListAsync(NpgsqlConnection connection, PlatformUser user, string? status, Guid? teacherId,
        CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(user.ScopeParameters);
        parameters.Add("Status", status, System.Data.DbType.String);
        parameters.Add("TeacherId", teacherId, System.Data.DbType.Guid);
        return [.. await connection.QueryAsync<ApplicationRow>(new CommandDefinition(SelectSql + $"""
             where (@Status is null or a.status = @Status)
              and (@TeacherId::uuid is null or a.teacher_id = @TeacherId)
              and (@TeacherId::uuid is not null or {PlatformUser.ScopeSql("a.school_path")})
            order by a.updated_at desc limit 500
            """, parameters, cancellationToken: cancellationToken))];
    }

    /// <summary>An application with its history; null when there is none.</summary>
    public static async Task<ApplicationView?> ViewAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var application = await connection.QuerySingleOrDefaultAsync<ApplicationRow>(new CommandDefinition(SelectSql + " where a.id = @Id",
            new { Id = id }, cancellationToken: cancellationToken));
        if (application is null)
        {
            return null;
        }
        var steps = await connection.QueryAsync<ApplicationStepView>(new CommandDefinition("""
            select step, decision, reason, actor, actor_role, decided_at from credit_application_steps where application_id = @Id order by id
            """, new { Id = id }, cancellationToken: cancellationToken));
        return new ApplicationView(application, ApplicationStatuses.Names[application.Status],
            ApprovalChain.ByStatus.TryGetValue(application.Status, out var next) ? next.RoleName : null, [.. steps]);
    }

    public static Task<ApplicationRow?> LoadForUpdateAsync(UnitOfWork unitOfWork, Guid id, CancellationToken cancellationToken) =>
        unitOfWork.Connection.QuerySingleOrDefaultAsync<ApplicationRow>(new CommandDefinition(SelectSql + " where a.id = @Id for update of a",
            new { Id = id }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task SetStatusAsync(UnitOfWork unitOfWork, Guid id, string status, DateTimeOffset now, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
            "update credit_applications set status = @Status, version = version + 1, updated_at = @Now where id = @Id",
            new { Id = id, Status = status, Now = now }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task StepAsync(UnitOfWork unitOfWork, Guid id, string step, string decision, string? reason, PlatformUser user, DateTimeOffset now,
        CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into credit_application_steps (application_id, step, decision, reason, actor, actor_role, decided_at)
            values (@Id, @Step, @Decision, @Reason, @Actor, @Role, @Now)
            """, new { Id = id, Step = step, Decision = decision, Reason = reason, Actor = $"{user.Name} ({user.AccountId})", user.Role, Now = now },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
}
