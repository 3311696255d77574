using Dapper;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Credits;
using TrainingPlatform.Services.Credits.Certificates;

namespace TrainingPlatform.Services.Credits.Compliance;

/// <summary>
/// Saves a teacher's new standing and everything that follows from it, in the caller's transaction: the standing row,
/// the school roll-up (by difference from the previous standing, so it never needs a recount), the announcement when
/// the standing changed, and the certificate issued or revoked.
/// </summary>
public static class StandingBook
{
    private sealed record Previous
    {
        public string Overall { get; init; } = "";
        public string SchoolPath { get; init; } = "";
        public decimal Hours { get; init; }
        public bool Counted { get; init; }
    }

    public static async Task SaveAsync(UnitOfWork unitOfWork, Guid teacherId, Standing standing, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var result = standing.Result;
        var previous = await unitOfWork.Connection.QuerySingleOrDefaultAsync<Previous>(new CommandDefinition("""
            select overall, school_path, hours, counted from compliance where teacher_id = @Id and cycle_start = @Cycle for update
            """, new { Id = teacherId, Cycle = result.CycleStart }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into compliance (teacher_id, cycle_start, overall, summary, rules, evaluated_at, school_path, hours, counted)
            values (@Id, @Cycle, @Overall, @Summary, @Rules::jsonb, @Now, @SchoolPath, @Hours, @Counted)
            on conflict (teacher_id, cycle_start) do update
            set overall = excluded.overall, summary = excluded.summary, rules = excluded.rules, evaluated_at = excluded.evaluated_at,
                school_path = excluded.school_path, hours = excluded.hours, counted = excluded.counted
            """, new
        {
            Id = teacherId, Cycle = result.CycleStart, result.Overall, result.Summary, Rules = ComplianceStore.ToJson(result), Now = now,
            standing.SchoolPath, standing.Hours, Counted = standing.InPost,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));

        if (previous is { Counted: true })
        {
            await AddAsync(unitOfWork, previous.SchoolPath, result.CycleStart, previous.Overall, previous.Hours, -1, cancellationToken);
        }
        if (standing.InPost)
        {
            await AddAsync(unitOfWork, standing.SchoolPath, result.CycleStart, result.Overall, standing.Hours, +1, cancellationToken);
        }
        if (previous?.Overall != result.Overall)
        {
            await unitOfWork.PublishAsync(new ComplianceChanged(teacherId, result.CycleStart, result.Overall, result.Summary, now), cancellationToken);
        }
        await CertificateBook.SettleAsync(unitOfWork, teacherId, result, now, cancellationToken);
    }

    private static Task AddAsync(UnitOfWork unitOfWork, string schoolPath, int cycle, string overall, decimal hours, int sign,
        CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into school_rollups as r (school_path, cycle_start, teachers, met, on_track, at_risk, not_met, not_started, hours)
            values (@SchoolPath, @Cycle, @Sign,
                    case when @Overall = 'met' then @Sign else 0 end, case when @Overall = 'on_track' then @Sign else 0 end,
                    case when @Overall = 'at_risk' then @Sign else 0 end, case when @Overall = 'not_met' then @Sign else 0 end,
                    case when @Hours = 0 then @Sign else 0 end, @Sign * @Hours)
            on conflict (school_path, cycle_start) do update
            set teachers = r.teachers + excluded.teachers, met = r.met + excluded.met, on_track = r.on_track + excluded.on_track,
                at_risk = r.at_risk + excluded.at_risk, not_met = r.not_met + excluded.not_met, not_started = r.not_started + excluded.not_started,
                hours = r.hours + excluded.hours
            """, new { SchoolPath = schoolPath, Cycle = cycle, Overall = overall, Hours = hours, Sign = sign }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));
}
