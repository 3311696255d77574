using System.ComponentModel;
using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Mentoring.Assignment;
using TrainingPlatform.Services.Mentoring.Copies;

namespace TrainingPlatform.Services.Mentoring.Mentors;

public sealed record PairingView
{
    public Guid Id { get; init; }
    public Guid MentorId { get; init; }
    public string MentorName { get; init; } = "";
    public Guid MenteeId { get; init; }
    public string MenteeName { get; init; } = "";
    public string MenteeSchoolPath { get; init; } = "";
    public DateOnly StartsOn { get; init; }
    public DateOnly EndsOn { get; init; }

    [Description("active＝进行中；ended＝已结束")]
    public string Status { get; init; } = "";

    [Description("结对说明：距离、学科学段是否一致（人工结对的原因）、导师负荷")]
    public string Explanation { get; init; } = "";

    public DateOnly? EndedOn { get; init; }
    public string? EndedReason { get; init; }
}

/// <summary>A mentor who can take mentees, with their room and how many they have now.</summary>
public sealed record MentorCandidate(Guid Id, string Stage, string Subject, string SchoolPath, int Capacity, int Load);

/// <summary>Reads and writes of mentors and their pairings with new teachers.</summary>
public static class MentorStore
{
    private const string PairingSql = """
        select p.id, p.mentor_id, coalesce(m.name, '') as mentor_name, p.mentee_id, coalesce(e.name, '') as mentee_name,
               coalesce(e.school_path, '') as mentee_school_path, p.starts_on, p.ends_on, p.status, p.explanation, p.ended_on, p.ended_reason
        from mentor_pairings p left join teachers m on m.id = p.mentor_id left join teachers e on e.id = p.mentee_id
        """;

    /// <summary>Pairings and capacities change one request at a time, so no mentor ever holds more than their capacity.</summary>
    public static Task LockAsync(UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(hashtextextended('mentor-pairings', 0))",
            transaction: unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task<int> ActiveMenteesAsync(UnitOfWork unitOfWork, Guid mentorId, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "select count(*)::int from mentor_pairings where mentor_id = @Id and status = 'active'", new { Id = mentorId }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));

    public static Task UpsertMentorAsync(UnitOfWork unitOfWork, Guid teacherId, int capacity, string by, DateTimeOffset now,
        CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into mentors (teacher_id, capacity, marked_by, marked_at) values (@TeacherId, @Capacity, @By, @Now)
            on conflict (teacher_id) do update set capacity = excluded.capacity, marked_by = excluded.marked_by, marked_at = excluded.marked_at
            """, new { TeacherId = teacherId, Capacity = capacity, By = by, Now = now }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));

    /// <summary>The mentor's capacity; null when the teacher is not a mentor.</summary>
    public static Task<int?> CapacityAsync(UnitOfWork unitOfWork, Guid teacherId, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteScalarAsync<int?>(new CommandDefinition("select capacity from mentors where teacher_id = @Id",
            new { Id = teacherId }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// In-post new teachers below <paramref name="path"/> (hired after <paramref name="hiredAfter"/>, or of the 春苗 tier)
    /// who have no active mentor and are not mentors themselves, newest first.
    /// </summary>
    public static async Task<List<TeacherRow>> UnpairedNewTeachersAsync(UnitOfWork unitOfWork, string path, DateOnly hiredAfter,
        CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(PlatformUser.ScopeParametersFor(path));
        parameters.Add("HiredAfter", hiredAfter);
        parameters.Add("NewTier", Tiers.NewTeacher);
        return [.. await unitOfWork.Connection.QueryAsync<TeacherRow>(new CommandDefinition($"""
            {CopyStore.TeacherSql} t
            where t.in_post and {PlatformUser.ScopeSql("t.school_path")} and (t.hire_date > @HiredAfter or t.tier = @NewTier)
              and not exists (select 1 from mentor_pairings p where p.mentee_id = t.id and p.status = 'active')
              and not exists (select 1 from mentors m where m.teacher_id = t.id)
            order by t.hire_date desc, t.id
            """, parameters, unitOfWork.Transaction, cancellationToken: cancellationToken))];
    }

    /// <summary>The in-post mentors below <paramref name="path"/> whose tier may mentor, with their active load.</summary>
    public static async Task<List<MentorCandidate>> MentorsBelowAsync(UnitOfWork unitOfWork, string path, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(PlatformUser.ScopeParametersFor(path));
        parameters.Add("MentorTiers", MentorRules.MentorTiers.ToArray());
        return [.. (await unitOfWork.Connection.QueryAsync<(Guid Id, string Stage, string Subject, string SchoolPath, int Capacity, int Load)>(
            new CommandDefinition($"""
                select t.id, t.stage, t.subject, t.school_path, m.capacity,
                       (select count(*) from mentor_pairings p where p.mentor_id = t.id and p.status = 'active')::int as load
                from mentors m join teachers t on t.id = m.teacher_id
                where t.in_post and t.tier = any(@MentorTiers) and {PlatformUser.ScopeSql("t.school_path")}
                """, parameters, unitOfWork.Transaction, cancellationToken: cancellationToken)))
            .Select(m => new MentorCandidate(m.Id, m.Stage, m.Subject, m.SchoolPath, m.Capacity, m.Load))];
    }

    /// <summary>A pairing the engine made in run <paramref name="runId"/>.</summary>
    public static Task InsertAssignedPairingAsync(UnitOfWork unitOfWork, Guid id, AssignedPair pair, DateOnly startsOn, DateOnly endsOn, Guid runId,
        DateTimeOffset now, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into mentor_pairings (id, mentor_id, mentee_id, starts_on, ends_on, status, distance, explanation, run_id, created_at)
            values (@Id, @MentorId, @MenteeId, @StartsOn, @EndsOn, 'active', @Distance, @Explanation, @RunId, @Now)
            """, new
        {
            Id = id, MentorId = pair.ServerId, MenteeId = pair.ClientId, StartsOn = startsOn, EndsOn = endsOn, pair.Distance, pair.Explanation,
            RunId = runId, Now = now,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>A pairing by hand, unless the mentee already has an active mentor; the rows inserted (0: they have).</summary>
    public static Task<int> InsertPairingByHandAsync(UnitOfWork unitOfWork, Guid id, Guid mentorId, Guid menteeId, DateOnly startsOn, DateOnly endsOn,
        int distance, string explanation, string? forcedReason, DateTimeOffset now, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into mentor_pairings (id, mentor_id, mentee_id, starts_on, ends_on, status, distance, explanation, forced_reason, created_at)
            values (@Id, @MentorId, @MenteeId, @StartsOn, @EndsOn, 'active', @Distance, @Explanation, @Forced, @Now)
            on conflict (mentee_id) where status = 'active' do nothing
            """, new
        {
            Id = id, MentorId = mentorId, MenteeId = menteeId, StartsOn = startsOn, EndsOn = endsOn, Distance = distance, Explanation = explanation,
            Forced = forcedReason, Now = now,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task<PairingView?> FindForUpdateAsync(UnitOfWork unitOfWork, Guid pairingId, CancellationToken cancellationToken) =>
        unitOfWork.Connection.QuerySingleOrDefaultAsync<PairingView>(new CommandDefinition(
            PairingSql + " where p.id = @Id for update of p", new { Id = pairingId }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task EndAsync(UnitOfWork unitOfWork, Guid pairingId, DateOnly today, string reason, string by, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            update mentor_pairings set status = 'ended', ended_on = @Today, ended_reason = @Reason, ended_by = @By where id = @Id
            """, new { Id = pairingId, Today = today, Reason = reason, By = by }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));

    public static async Task<List<PairingView>> ActiveOfMentorAsync(NpgsqlConnection connection, Guid mentorId, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<PairingView>(new CommandDefinition(
            PairingSql + " where p.mentor_id = @TeacherId and p.status = 'active' order by p.starts_on, mentee_name", new { TeacherId = mentorId },
            cancellationToken: cancellationToken))];

    /// <summary>The teacher's pairings as mentee and as mentor, newest first.</summary>
    public static async Task<List<PairingView>> OfTeacherAsync(NpgsqlConnection connection, Guid teacherId, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<PairingView>(new CommandDefinition(
            PairingSql + " where p.mentee_id = @Id or p.mentor_id = @Id order by p.created_at desc", new { Id = teacherId },
            cancellationToken: cancellationToken))];

    /// <summary>Teacher → the courses they completed, latest first (from Enrollment's events).</summary>
    public static async Task<ILookup<Guid, (Guid TeacherId, string Title, decimal Hours, DateTimeOffset CompletedAt)>> CompletedCoursesAsync(
        NpgsqlConnection connection, IEnumerable<Guid> teacherIds, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<(Guid TeacherId, string Title, decimal Hours, DateTimeOffset CompletedAt)>(new CommandDefinition("""
            select teacher_id, coalesce(title, ''), coalesce(hours, 0), completed_at from course_progress
            where teacher_id = any(@Ids) and status = 'completed' order by completed_at desc
            """, new { Ids = teacherIds.ToArray() }, cancellationToken: cancellationToken))).ToLookup(c => c.TeacherId);
}
