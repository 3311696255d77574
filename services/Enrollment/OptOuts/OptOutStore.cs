using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.Services.Enrollment.OptOuts;

/// <summary>The recorded opt-outs.</summary>
public static class OptOutStore
{
    /// <summary>Records the opt-out; false when the teacher's year has one already.</summary>
    public static async Task<bool> RecordAsync(UnitOfWork unitOfWork, Guid teacherId, Guid yearId, string statementReference, string reason, string by,
        DateTimeOffset now, CancellationToken cancellationToken) =>
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into opt_outs (teacher_id, program_year_id, statement_reference, reason, recorded_by, recorded_at)
            values (@TeacherId, @YearId, @StatementReference, @Reason, @By, @Now)
            on conflict do nothing
            """, new { TeacherId = teacherId, YearId = yearId, StatementReference = statementReference, Reason = reason,
            By = by, Now = now }, unitOfWork.Transaction, cancellationToken: cancellationToken)) > 0;

    /// <summary>The year's opt-outs of the teachers in <paramref name="user"/>'s scope, by school and name.</summary>
    public static async Task<IReadOnlyList<OptOutView>> ListAsync(NpgsqlConnection connection, string year, PlatformUser user,
        CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(user.ScopeParameters);
        parameters.Add("Year", year);
        return [.. await connection.QueryAsync<OptOutView>(new CommandDefinition($"""
            select t.id as teacher_id, t.name, t.school_path, o.statement_reference, o.reason, o.recorded_by, o.recorded_at
            from opt_outs o join teachers t on t.id = o.teacher_id join program_years y on y.id = o.program_year_id
            where y.code = @Year and {PlatformUser.ScopeSql("t.school_path")}
            order by t.school_path, t.name
            """, parameters, cancellationToken: cancellationToken))];
    }
}
