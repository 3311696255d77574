using System.ComponentModel;
using System.Text.Json;
using Dapper;
using TrainingPlatform.BuildingBlocks.Persistence;

namespace TrainingPlatform.Services.Mentoring.Assignment;

/// <summary>A run of the assignment engine as the API shows it: how many it placed, at what cost, against the best possible distance.</summary>
public sealed record AssignmentRunSummary(
    [property: Description("本次运行的编号（运行记录留存备查）")] Guid RunId,
    int Placed,
    int Unplaced,
    [property: Description("总代价＝距离代价＋负荷代价")] long TotalCost,
    [property: Description("距离代价：每对 Mentoring:DistanceWeight × 距离（0 同校，1 同区县，2 同市，3 跨市）")] long DistanceCost,
    [property: Description("负荷代价：每人第 k 个对象计 Mentoring:LoadWeight × (k − 1)，使负荷均衡")] long LoadCost,
    [property: Description("距离代价的下界：若不计名额、人人取最近的合格者，距离代价也不会低于此值")] long DistanceLowerBound);

/// <summary>Keeps every run of the engine: what it cost, its lower bound, and who was left unplaced and why.</summary>
public static class AssignmentStore
{
    public static async Task<Guid> SaveRunAsync(UnitOfWork unitOfWork, string kind, Guid? yearId, string organisationPath, AssignmentResult result,
        string by, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var id = Guid.CreateVersion7(now);
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into assignment_runs (id, kind, program_year_id, organisation_path, placed, unplaced, total_cost, distance_lower_bound, unplaced_detail,
                ran_by, ran_at)
            values (@Id, @Kind, @YearId, @Path, @Placed, @Unplaced, @TotalCost, @DistanceLowerBound, @Detail::jsonb, @By, @Now)
            """, new
        {
            Id = id, Kind = kind, YearId = yearId, Path = organisationPath, Placed = result.Assignments.Count, Unplaced = result.Unassigned.Count,
            result.TotalCost, result.DistanceLowerBound, Detail = JsonSerializer.Serialize(result.Unassigned), By = by, Now = now,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        return id;
    }

    /// <summary>The run's figures as the API shows them.</summary>
    public static AssignmentRunSummary Summary(Guid runId, AssignmentResult result) =>
        new(runId, result.Assignments.Count, result.Unassigned.Count, result.TotalCost, result.DistanceCost, result.LoadCost, result.DistanceLowerBound);
}
