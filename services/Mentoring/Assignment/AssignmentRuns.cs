using System.Text.Json;
using Dapper;
using TrainingPlatform.BuildingBlocks.Persistence;

namespace TrainingPlatform.Services.Mentoring.Assignment;

/// <summary>Keeps every run of the engine: what it cost, its lower bound, and who was left unplaced and why.</summary>
public static class AssignmentRuns
{
    public static async Task<Guid> SaveAsync(UnitOfWork unitOfWork, string kind, Guid? yearId, string organisationPath, AssignmentResult result,
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
    public static object Summary(Guid runId, AssignmentResult result) => new
    {
        runId,
        placed = result.Assignments.Count,
        unplaced = result.Unassigned.Count,
        totalCost = result.TotalCost,
        distanceCost = result.DistanceCost,
        loadCost = result.LoadCost,
        distanceLowerBound = result.DistanceLowerBound,
    };
}
