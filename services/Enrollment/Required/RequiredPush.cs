using System.Text.Json;
using Dapper;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Services.Enrollment.Copies;
using TrainingPlatform.Services.Enrollment.Reports;

namespace TrainingPlatform.Services.Enrollment.Required;

/// <summary>A required enrollment as the push compares it.</summary>
public sealed record CurrentRequired
{
    public Guid Id { get; init; }
    public Guid TeacherId { get; init; }
    public Guid ProgramYearId { get; init; }
    public Guid CourseId { get; init; }
    public bool Started { get; init; }
}

public sealed record RequiredPlan(IReadOnlyList<(Guid CourseId, Guid ItemId)> Enroll, IReadOnlyList<(Guid EnrollmentId, string Reason)> Withdraw);

/// <summary>
/// Required courses are pushed, not chosen: for each program year still open, a teacher in post is enrolled in the
/// courses of the package for their stage and subject (the subject's own package, else the stage's), their lesson
/// cases drawn with <see cref="RequiredDraw"/>. Started courses are never taken away: progress is the teacher's.
/// </summary>
public static class RequiredPush
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public const string NotInPost = "教师不在岗（内退等），不参加本年度培训";
    public const string NoLongerRequired = "必修课程调整（学段、学科或必修包变更）";

    /// <summary>What to enroll and withdraw for one teacher and one year. Pure.</summary>
    public static RequiredPlan Plan(TeacherRow teacher, IReadOnlyList<RequiredItem>? package, IReadOnlyList<CurrentRequired> current)
    {
        var desired = teacher.InPost && package is not null
            ? package.SelectMany(item => RequiredDraw.For(item, teacher.Id).Select(course => (CourseId: course, item.ItemId))).DistinctBy(d => d.CourseId).ToList()
            : [];
        var desiredIds = desired.Select(d => d.CourseId).ToHashSet();
        var currentIds = current.Select(c => c.CourseId).ToHashSet();
        return new RequiredPlan(
            [.. desired.Where(d => !currentIds.Contains(d.CourseId))],
            [.. current.Where(c => !desiredIds.Contains(c.CourseId) && !c.Started).Select(c => (c.Id, teacher.InPost ? NoLongerRequired : NotInPost))]);
    }

    /// <summary>The package that applies: the subject's own, else the stage's ('' subject).</summary>
    public static IReadOnlyList<RequiredItem>? PackageFor(TeacherRow teacher, IReadOnlyDictionary<(string Stage, string Subject), IReadOnlyList<RequiredItem>> packages) =>
        packages.TryGetValue((teacher.Stage, teacher.Subject), out var own) ? own
        : packages.TryGetValue((teacher.Stage, ""), out var stageWide) ? stageWide
        : null;

    public static Task RequestAsync(UnitOfWork unitOfWork, Guid programYearId, string stage, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into required_push_jobs (program_year_id, stage, requested_at) values (@ProgramYearId, @Stage, now())
            """, new { ProgramYearId = programYearId, Stage = stage }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>Brings <paramref name="teachers"/>' required enrollments up to date for every open year (or just <paramref name="onlyYear"/>).</summary>
    public static async Task<int> SyncAsync(UnitOfWork unitOfWork, IReadOnlyList<TeacherRow> teachers, Guid? onlyYear, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (teachers.Count == 0)
        {
            return 0;
        }
        // The teachers before their enrollments, as every writer of tallies takes them (a progress batch locks the teachers,
        // then their enrollments): withdrawing first and locking the teacher after could deadlock with it.
        await ProgressTallyStore.LockAsync(unitOfWork, teachers.Select(t => t.Id).Order(), cancellationToken);
        var connection = unitOfWork.Connection;
        var packageRows = await connection.QueryAsync<(Guid YearId, string Stage, string Subject, string Items)>(new CommandDefinition("""
            select p.program_year_id, p.stage, p.subject, p.items::text
            from required_packages p join program_years y on y.id = p.program_year_id
            where y.credit_registration_closes >= @Today and (@OnlyYear::uuid is null or y.id = @OnlyYear) and p.stage = any(@Stages)
            """, new { Today = ProvinceCalendar.DayOf(now), OnlyYear = onlyYear, Stages = teachers.Select(t => t.Stage).Distinct().ToArray() },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
        var byYear = packageRows.GroupBy(p => p.YearId).ToDictionary(g => g.Key,
            g => (IReadOnlyDictionary<(string, string), IReadOnlyList<RequiredItem>>)g.ToDictionary(p => (p.Stage, p.Subject),
                p => (IReadOnlyList<RequiredItem>)(JsonSerializer.Deserialize<List<RequiredItem>>(p.Items, Json) ?? [])));
        var current = (await connection.QueryAsync<CurrentRequired>(new CommandDefinition("""
            select id, teacher_id, program_year_id, course_id,
                   (percent > 0 or test_passed or assignment_handed_in or status = 'completed') as started
            from enrollments
            where teacher_id = any(@Teachers) and kind = 'required' and status <> 'withdrawn'
            """, new { Teachers = teachers.Select(t => t.Id).ToArray() }, unitOfWork.Transaction, cancellationToken: cancellationToken)))
            .ToLookup(c => (c.TeacherId, c.ProgramYearId));

        var enroll = new List<(Guid Id, Guid Teacher, Guid Year, Guid Course, Guid Item)>();
        var withdraw = new List<(Guid Id, string Reason)>();
        foreach (var (yearId, packages) in byYear)
        {
            foreach (var teacher in teachers)
            {
                var plan = Plan(teacher, PackageFor(teacher, packages), [.. current[(teacher.Id, yearId)]]);
                enroll.AddRange(plan.Enroll.Select(e => (Guid.CreateVersion7(now), teacher.Id, yearId, e.CourseId, e.ItemId)));
                withdraw.AddRange(plan.Withdraw);
            }
        }
        // Courses of years whose package no longer covers the teacher (another stage now) are handled with the year that has packages;
        // a year without any package for the stage withdraws nothing: packages are defined once and replaced, not deleted.
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into enrollments (id, teacher_id, program_year_id, course_id, kind, required_item_id, status, enrolled_at)
            select id, teacher, year, course, 'required', item, 'enrolled', @Now
            from unnest(@Ids, @Teachers, @Years, @Courses, @Items) as t(id, teacher, year, course, item)
            on conflict (teacher_id, program_year_id, course_id) where status <> 'withdrawn' do nothing
            """, new
        {
            Ids = enroll.Select(e => e.Id).ToArray(), Teachers = enroll.Select(e => e.Teacher).ToArray(), Years = enroll.Select(e => e.Year).ToArray(),
            Courses = enroll.Select(e => e.Course).ToArray(), Items = enroll.Select(e => e.Item).ToArray(), Now = now,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("""
            update enrollments e set status = 'withdrawn', withdrawn_at = @Now, withdrawn_reason = w.reason
            from unnest(@Ids, @Reasons) as w(id, reason)
            where e.id = w.id and e.status = 'enrolled'
            """, new { Ids = withdraw.Select(w => w.Id).ToArray(), Reasons = withdraw.Select(w => w.Reason).ToArray(), Now = now },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
        // Also when nothing was enrolled or withdrawn: the teacher may have moved school, changed name or left post.
        await ProgressTallyStore.RefreshAsync(unitOfWork, teachers.Select(t => t.Id), cancellationToken);
        return enroll.Count + withdraw.Count;
    }
}
