using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Mentoring;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Mentoring.Copies;
using TrainingPlatform.Services.Mentoring.Mentors;

namespace TrainingPlatform.Services.Mentoring.Support;

public sealed record MarkSupportTarget(
    [property: Required, MaxLength(MentoringLimits.ReasonLength), Description("列为帮扶对象的原因")] string? Reason);

/// <param name="StartsOn">When the support began, if before today; today if left out.</param>
public sealed record PairSupport(
    [property: Required, Description("帮扶教师的编号：骨干（深蓝）、卓越或领航层级的在岗教师，不在被帮扶学校任教")] Guid? TeacherId,
    [property: Required, Description("被帮扶学校的代码；须已列为帮扶对象")] string? SchoolCode,
    [property: Range(1, SupportRules.MaxYears), Description("帮扶期（年）；不传为设置 Mentoring:SupportYears（默认 1）")] int? Years,
    [property: Description("帮扶开始日期：今天或本年度内此前的某天（补录已开始的帮扶）；不传为今天")] DateOnly? StartsOn = null);

/// <summary>A school marked as 帮扶对象, with who marked it and how many pairings support it now.</summary>
public sealed record SupportTargetView
{
    public string? Code { get; init; }
    public string? Name { get; init; }
    public string SchoolPath { get; init; } = "";
    public string Reason { get; init; } = "";
    public string MarkedBy { get; init; } = "";
    public DateTimeOffset MarkedAt { get; init; }

    [Description("进行中的对口帮扶数")]
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

    [Codes(typeof(TrainingLevels)), Description("帮扶的级别：能同时管到两校的最低一级教育局")]
    public string Level { get; init; } = "";

    public DateOnly StartsOn { get; init; }
    public DateOnly EndsOn { get; init; }

    [Description("active＝进行中；ended＝已结束")]
    public string Status { get; init; } = "";

    public DateOnly? EndedOn { get; init; }
    public string? EndedReason { get; init; }
}

public sealed record SupportTargetMarked(string SchoolCode, string School, string Reason);

public sealed record SupportPaired(Guid PairingId, string Teacher, string School,
    [property: Codes(typeof(TrainingLevels))] string Level, DateOnly StartsOn, DateOnly EndsOn);

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
        group.MapPut("/organisations/{code}/support-target", MarkAsync).RequireAuthorization(p => p.RequireRole(districts))
            .WithName("MarkSupportTarget")
            .WithSummary("列为帮扶对象")
            .WithDescription("教育局把范围内的学校列为帮扶对象（须说明原因）；已列入的，更新原因。");
        group.MapDelete("/organisations/{code}/support-target", UnmarkAsync).RequireAuthorization(p => p.RequireRole(districts))
            .WithName("UnmarkSupportTarget")
            .WithSummary("取消帮扶对象")
            .WithDescription("学校不再有进行中的对口帮扶时，才能取消。");
        group.MapGet("/support-targets", TargetsAsync).RequireAuthorization(p => p.RequireRole(Roles.DistrictAdmin, Roles.PlatformOperator, Roles.SchoolAdmin))
            .WithName("ListSupportTargets")
            .WithSummary("查看帮扶对象")
            .WithDescription("范围内的帮扶对象学校，及各校进行中的对口帮扶数。");
        group.MapPost("/support-pairings", PairAsync).RequireAuthorization(p => p.RequireRole(districts))
            .WithName("CreateSupportPairing")
            .WithSummary("对口帮扶结对")
            .WithDescription("教育局把骨干（深蓝）、卓越或领航层级的在岗教师与帮扶对象学校结对，为期 years 年（不传为 Mentoring:SupportYears）；"
                + "级别为能同时管到两校的最低一级教育局。发布 SchoolSupportPaired。同一教师与同一学校同时只有一项进行中的帮扶。");
        group.MapPost("/support-pairings/{pairingId:guid}/end", EndAsync).RequireAuthorization(p => p.RequireRole(districts))
            .WithName("EndSupportPairing")
            .WithSummary("提前结束对口帮扶")
            .WithDescription("须说明原因；结束后发布 SchoolSupportEnded，此后的帮扶活动不能再登记。");
        group.MapGet("/support-pairings", PairingsAsync)
            .WithName("ListSupportPairings")
            .WithSummary("查看对口帮扶")
            .WithDescription("管理员看学校或帮扶教师在其范围内的帮扶；教师看自己的帮扶。进行中的在前。");
        return app;
    }

    private static async Task<Results<Ok<SupportTargetMarked>, ValidationFailed, NotFoundProblem, RuleProblem>> MarkAsync(string code,
        MarkSupportTarget request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > MentoringLimits.ReasonLength)
        {
            return new Validation().Require(false, "reason", $"列为帮扶对象须说明原因，不超过 {MentoringLimits.ReasonLength} 字").ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var (school, problem) = await SchoolAsync(unitOfWork.Connection, user, code, cancellationToken);
        if (problem is not null)
        {
            return problem switch { NotFoundProblem p => p, RuleProblem p => p, _ => throw MentoringScope.Unlisted(problem) };
        }
        var reason = request.Reason.Trim();
        await SupportStore.MarkAsync(unitOfWork.Connection, school!.Id, school.Path, reason, MentoringScope.By(user), clock.GetUtcNow(), cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "support-target-marked", "school", school.Code,
            $"将 {school.Name} 列为帮扶对象，原因：{reason}", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(new SupportTargetMarked(school.Code, school.Name, reason));
    }

    /// <summary>A school stops being a support target once no one is supporting it any more.</summary>
    private static async Task<Results<NoContent, NotFoundProblem, ConflictProblem, RuleProblem>> UnmarkAsync(string code, HttpContext http,
        NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var connection = unitOfWork.Connection;
        var (school, problem) = await SchoolAsync(connection, user, code, cancellationToken);
        if (problem is not null)
        {
            return problem switch { NotFoundProblem p => p, RuleProblem p => p, _ => throw MentoringScope.Unlisted(problem) };
        }
        var active = await SupportStore.ActivePairingsAtAsync(connection, school!.Id, cancellationToken);
        if (active > 0)
        {
            return Problems.Conflict($"{school.Name} 还有 {active} 项进行中的对口帮扶，请先结束", "support-active", "code");
        }
        var removed = await SupportStore.UnmarkAsync(connection, school.Id, cancellationToken);
        if (removed == 0)
        {
            return Problems.NotFound($"{school.Name} 不是帮扶对象");
        }
        await AuditTrail.RecordAsync(unitOfWork, http, "support-target-unmarked", "school", school.Code, $"{school.Name} 不再是帮扶对象", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>The support targets in the caller's scope, with who is supporting each now.</summary>
    private static async Task<Ok<List<SupportTargetView>>> TargetsAsync(HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok(await SupportStore.TargetsAsync(connection, user, cancellationToken));
    }

    private static async Task<Results<Created<SupportPaired>, ValidationFailed, NotFoundProblem, ConflictProblem, RuleProblem>> PairAsync(PairSupport request,
        HttpContext http, NpgsqlDataSource db, TimeProvider clock, IOptions<MentoringOptions> options, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Require(request.TeacherId is not null, "teacherId", "请指定帮扶教师")
            .Require(!string.IsNullOrWhiteSpace(request.SchoolCode), "schoolCode", "请指定被帮扶学校")
            .Require(request.Years is null or (>= 1 and <= SupportRules.MaxYears), "years", $"帮扶期为 1–{SupportRules.MaxYears} 年");
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
            return problem switch { NotFoundProblem p => p, RuleProblem p => p, _ => throw MentoringScope.Unlisted(problem) };
        }
        var teacher = await CopyStore.FindTeacherAsync(unitOfWork.Connection, request.TeacherId!.Value, unitOfWork.Transaction, cancellationToken);
        if (teacher is null || !user.CanSeeTeacher(teacher.Id, teacher.SchoolPath))
        {
            return Problems.NotFound("教师不存在或不在你的管理范围内");
        }
        var marked = await SupportStore.IsTargetAsync(unitOfWork, school!.Id, cancellationToken);
        if (SupportRules.WhyNotSupport(teacher.Name, teacher.Tier, teacher.InPost, teacher.SchoolPath, school.Path, school.Name, marked) is { } why)
        {
            return Problems.RuleBroken(why, marked ? "support-teacher" : "not-a-support-target");
        }
        var now = clock.GetUtcNow();
        var (startsOn, endsOn) = MentorRules.Period(request.StartsOn ?? today, request.Years ?? options.Value.SupportYears);
        var level = SupportRules.LevelOf(teacher.SchoolPath, school.Path);
        var id = Guid.CreateVersion7(now);
        var inserted = await SupportStore.InsertPairingAsync(unitOfWork, id, teacher.Id, school.Id, school.Path, level, startsOn, endsOn,
            MentoringScope.By(user), now, cancellationToken);
        if (inserted == 0)
        {
            return Problems.Conflict($"{teacher.Name} 已在对口帮扶 {school.Name}", "already-supporting", "teacherId");
        }
        await unitOfWork.PublishAsync(new SchoolSupportPaired(id, teacher.Id, school.Id, school.Path, user.IsOperator ? "" : user.OrganisationPath, startsOn,
            endsOn, now), cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "support-pairing-created", "support-pairing", id.ToString(),
            $"{teacher.Name} 对口帮扶 {school.Name}，{startsOn:yyyy-MM-dd} 至 {endsOn:yyyy-MM-dd}", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/mentoring/support-pairings?school={school.Code}",
            new SupportPaired(id, teacher.Name, school.Name, level, startsOn, endsOn));
    }

    private static async Task<Results<Ok<SupportPairingView>, ValidationFailed, NotFoundProblem, ConflictProblem>> EndAsync(Guid pairingId,
        EndPairing request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > MentoringLimits.ReasonLength)
        {
            return new Validation().Require(false, "reason", $"提前结束帮扶须说明原因，不超过 {MentoringLimits.ReasonLength} 字").ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var pairing = await SupportStore.FindForUpdateAsync(unitOfWork, pairingId, cancellationToken);
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
        await SupportStore.EndAsync(unitOfWork, pairingId, today, reason, MentoringScope.By(user), cancellationToken);
        await unitOfWork.PublishAsync(new SchoolSupportEnded(pairingId, pairing.TeacherId, pairing.SchoolId, today, reason, now), cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "support-pairing-ended", "support-pairing", pairingId.ToString(),
            $"提前结束对口帮扶（{today:yyyy-MM-dd}），原因：{reason}", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(pairing with { Status = "ended", EndedOn = today, EndedReason = reason });
    }

    /// <summary>Admins: the pairings whose school or teacher is in their scope; a teacher: their own.</summary>
    private static async Task<Ok<List<SupportPairingView>>> PairingsAsync(HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok(await SupportStore.VisibleAsync(connection, user, cancellationToken));
    }

    /// <summary>A school in the caller's scope (support targets are schools); else a 404 or 422.</summary>
    private static async Task<(OrganisationRow? School, PlatformProblemResult? Problem)> SchoolAsync(NpgsqlConnection connection, PlatformUser user,
        string code, CancellationToken cancellationToken)
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
