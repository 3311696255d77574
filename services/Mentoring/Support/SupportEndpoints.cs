using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Mentoring;
using TrainingPlatform.Services.Mentoring.Copies;
using TrainingPlatform.Services.Mentoring.Mentors;

namespace TrainingPlatform.Services.Mentoring.Support;

public sealed record MarkSupportTarget(string? Reason);

/// <param name="StartsOn">When the support began, if before today; today if left out.</param>
public sealed record PairSupport(Guid? TeacherId, string? SchoolCode, int? Years, DateOnly? StartsOn = null);

/// <summary>A school marked as 帮扶对象, with who marked it and how many pairings support it now.</summary>
public sealed record SupportTargetView
{
    public string? Code { get; init; }
    public string? Name { get; init; }
    public string SchoolPath { get; init; } = "";
    public string Reason { get; init; } = "";
    public string MarkedBy { get; init; } = "";
    public DateTimeOffset MarkedAt { get; init; }
    public int ActivePairings { get; init; }
}

public sealed record SupportPairingView
{
    public Guid Id { get; init; }
    public Guid TeacherId { get; init; }
    public string TeacherName { get; init; } = "";
    public string TeacherSchoolPath { get; init; } = "";
    public Guid SchoolId { get; init; }
    public string SchoolName { get; init; } = "";
    public string SchoolPath { get; init; } = "";
    public string Level { get; init; } = "";
    public DateOnly StartsOn { get; init; }
    public DateOnly EndsOn { get; init; }
    public string Status { get; init; } = "";
    public DateOnly? EndedOn { get; init; }
    public string? EndedReason { get; init; }
}

/// <summary>
/// 对口帮扶: a district marks the weak schools below it as 帮扶对象 and pairs backbone (深蓝), master (卓越) or
/// leading (领航) teachers from its other schools with them for a period; a pairing can be ended early with a
/// reason. The supporting teacher logs their days at the school as activities, which earn credit hours once the
/// school confirms them (<see cref="Activities.ActivityEndpoints"/>).
/// </summary>
public static class SupportEndpoints
{
    public static IEndpointRouteBuilder MapSupportEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/mentoring").WithTags("School support");
        var districts = new[] { Roles.DistrictAdmin, Roles.PlatformOperator };
        group.MapPut("/organisations/{code}/support-target", MarkAsync).RequireAuthorization(p => p.RequireRole(districts));
        group.MapDelete("/organisations/{code}/support-target", UnmarkAsync).RequireAuthorization(p => p.RequireRole(districts));
        group.MapGet("/support-targets", TargetsAsync).RequireAuthorization(p => p.RequireRole(Roles.DistrictAdmin, Roles.PlatformOperator, Roles.SchoolAdmin));
        group.MapPost("/support-pairings", PairAsync).RequireAuthorization(p => p.RequireRole(districts));
        group.MapPost("/support-pairings/{pairingId:guid}/end", EndAsync).RequireAuthorization(p => p.RequireRole(districts));
        group.MapGet("/support-pairings", PairingsAsync);
        return app;
    }

    public const string PairingSql = """
        select p.id, p.teacher_id, coalesce(t.name, '') as teacher_name, coalesce(t.school_path, '') as teacher_school_path, p.school_id,
               coalesce(o.name, '') as school_name, p.school_path, p.level, p.starts_on, p.ends_on, p.status, p.ended_on, p.ended_reason
        from support_pairings p left join teachers t on t.id = p.teacher_id left join organisations o on o.id = p.school_id
        """;

    private static async Task<IResult> MarkAsync(string code, MarkSupportTarget request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > 500)
        {
            return new Validation().Require(false, "reason", "列为帮扶对象须说明原因，不超过 500 字").ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (school, problem) = await SchoolAsync(connection, user, code, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into support_schools (school_id, school_path, reason, marked_by, marked_at) values (@Id, @Path, @Reason, @By, @Now)
            on conflict (school_id) do update set school_path = excluded.school_path, reason = excluded.reason, marked_by = excluded.marked_by,
                marked_at = excluded.marked_at
            """, new { school!.Id, school.Path, Reason = request.Reason.Trim(), By = MentoringScope.By(user), Now = clock.GetUtcNow() },
            cancellationToken: cancellationToken));
        return TypedResults.Ok(new { schoolCode = school.Code, school = school.Name, reason = request.Reason.Trim() });
    }

    /// <summary>A school stops being a support target once no one is supporting it any more.</summary>
    private static async Task<IResult> UnmarkAsync(string code, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (school, problem) = await SchoolAsync(connection, user, code, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var active = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "select count(*)::int from support_pairings where school_id = @Id and status = 'active'", new { school!.Id }, cancellationToken: cancellationToken));
        if (active > 0)
        {
            return Problems.Conflict($"{school.Name} 还有 {active} 项进行中的对口帮扶，请先结束", "support-active", "code");
        }
        var removed = await connection.ExecuteAsync(new CommandDefinition("delete from support_schools where school_id = @Id", new { school.Id },
            cancellationToken: cancellationToken));
        return removed == 0 ? Problems.NotFound($"{school.Name} 不是帮扶对象") : TypedResults.NoContent();
    }

    /// <summary>The support targets in the caller's scope, with who is supporting each now.</summary>
    private static async Task<IResult> TargetsAsync(HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var targets = await connection.QueryAsync<SupportTargetView>(new CommandDefinition($"""
            select o.code, o.name, s.school_path, s.reason, s.marked_by, s.marked_at,
                   (select count(*) from support_pairings p where p.school_id = s.school_id and p.status = 'active')::int as active_pairings
            from support_schools s left join organisations o on o.id = s.school_id
            where {PlatformUser.ScopeSql("s.school_path")} order by s.school_path
            """, user.ScopeParameters, cancellationToken: cancellationToken));
        return TypedResults.Ok(targets);
    }

    private static async Task<IResult> PairAsync(PairSupport request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        IOptions<MentoringOptions> options, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Require(request.TeacherId is not null, "teacherId", "请指定帮扶教师")
            .Require(!string.IsNullOrWhiteSpace(request.SchoolCode), "schoolCode", "请指定被帮扶学校")
            .Require(request.Years is null or (>= 1 and <= 5), "years", "帮扶期为 1–5 年");
        var today = ProvinceCalendar.Today(clock);
        if (request.StartsOn is { } start && MentorRules.WhyNotStartOn(start, today) is { } late)
        {
            validation.Add("startsOn", late, Validation.OutOfRange);
        }
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var (school, problem) = await SchoolAsync(unitOfWork.Connection, user, request.SchoolCode!, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var teacher = await CopyStore.FindTeacherAsync(unitOfWork.Connection, request.TeacherId!.Value, unitOfWork.Transaction, cancellationToken);
        if (teacher is null || !user.CanSeeTeacher(teacher.Id, teacher.SchoolPath))
        {
            return Problems.NotFound("教师不存在或不在你的管理范围内");
        }
        var marked = await unitOfWork.Connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from support_schools where school_id = @Id)", new { school!.Id }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));
        if (SupportRules.WhyNotSupport(teacher.Name, teacher.Tier, teacher.InPost, teacher.SchoolPath, school.Path, school.Name, marked) is { } why)
        {
            return Problems.RuleBroken(why, marked ? "support-teacher" : "not-a-support-target");
        }
        var now = clock.GetUtcNow();
        var (startsOn, endsOn) = MentorRules.Period(request.StartsOn ?? today, request.Years ?? options.Value.SupportYears);
        var level = SupportRules.LevelOf(teacher.SchoolPath, school.Path);
        var id = Guid.CreateVersion7(now);
        var inserted = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into support_pairings (id, teacher_id, school_id, school_path, level, starts_on, ends_on, status, created_by, created_at)
            values (@Id, @TeacherId, @SchoolId, @SchoolPath, @Level, @StartsOn, @EndsOn, 'active', @By, @Now)
            on conflict (teacher_id, school_id) where status = 'active' do nothing
            """, new
        {
            Id = id, TeacherId = teacher.Id, SchoolId = school.Id, SchoolPath = school.Path, Level = level, StartsOn = startsOn, EndsOn = endsOn,
            By = MentoringScope.By(user), Now = now,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            return Problems.Conflict($"{teacher.Name} 已在对口帮扶 {school.Name}", "already-supporting", "teacherId");
        }
        await unitOfWork.PublishAsync(new SchoolSupportPaired(id, teacher.Id, school.Id, school.Path, user.IsOperator ? "" : user.OrganisationPath, startsOn,
            endsOn, now), cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/mentoring/support-pairings?school={school.Code}", new
        {
            pairingId = id, teacher = teacher.Name, school = school.Name, level, startsOn, endsOn,
        });
    }

    private static async Task<IResult> EndAsync(Guid pairingId, Mentors.EndPairing request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > 500)
        {
            return new Validation().Require(false, "reason", "提前结束帮扶须说明原因，不超过 500 字").ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var pairing = await unitOfWork.Connection.QuerySingleOrDefaultAsync<SupportPairingView>(new CommandDefinition(
            PairingSql + " where p.id = @Id for update of p", new { Id = pairingId }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (pairing is null || !user.CanSeeOrganisation(pairing.SchoolPath) || !user.CanSeeTeacher(pairing.TeacherId, pairing.TeacherSchoolPath))
        {
            return Problems.NotFound("帮扶结对不存在或不在你的管理范围内");
        }
        if (pairing.Status != "active")
        {
            return Problems.Conflict($"该帮扶已于 {MentoringScope.Day(pairing.EndedOn ?? pairing.EndsOn)} 结束", "support-ended");
        }
        var now = clock.GetUtcNow();
        var today = ProvinceCalendar.Today(clock);
        var reason = request.Reason.Trim();
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            update support_pairings set status = 'ended', ended_on = @Today, ended_reason = @Reason, ended_by = @By where id = @Id
            """, new { Id = pairingId, Today = today, Reason = reason, By = MentoringScope.By(user) }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));
        await unitOfWork.PublishAsync(new SchoolSupportEnded(pairingId, pairing.TeacherId, pairing.SchoolId, today, reason, now), cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(pairing with { Status = "ended", EndedOn = today, EndedReason = reason });
    }

    /// <summary>Admins: the pairings whose school or teacher is in their scope; a teacher: their own.</summary>
    private static async Task<IResult> PairingsAsync(HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var parameters = new DynamicParameters(user.ScopeParameters);
        parameters.Add("TeacherId", user.TeacherId);
        var where = user.Role is Roles.PlatformOperator or Roles.DistrictAdmin or Roles.SchoolAdmin
            ? $"({PlatformUser.ScopeSql("p.school_path")} or {PlatformUser.ScopeSql("t.school_path")})"
            : "p.teacher_id = @TeacherId";
        return TypedResults.Ok(await connection.QueryAsync<SupportPairingView>(new CommandDefinition(
            PairingSql + $" where {where} order by p.status, p.starts_on desc", parameters, cancellationToken: cancellationToken)));
    }

    /// <summary>A school in the caller's scope: support targets are schools.</summary>
    private static async Task<(OrganisationRow? School, IResult? Problem)> SchoolAsync(NpgsqlConnection connection, PlatformUser user, string code,
        CancellationToken cancellationToken)
    {
        var (organisation, problem) = await MentoringScope.VisibleOrganisationAsync(connection, user, code, cancellationToken);
        if (problem is not null)
        {
            return (null, problem);
        }
        return organisation!.Kind == OrganisationKinds.School
            ? (organisation, null)
            : (null, Problems.RuleBroken($"{organisation.Name} 不是学校：帮扶对象是学校", "support-target-kind"));
    }
}
