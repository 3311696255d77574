using Npgsql;

namespace TrainingPlatform.Services.Enrollment.Reports;

/// <summary>
/// The year's counts under an organisation, read from the tallies by the cheapest route: a city's and the province's
/// from the per-county fold (<see cref="ProgressFold"/>), a county's and below from its teachers' rows (some thousands
/// at most, <see cref="ProgressTallyStore"/>). The roll-up view, the list's total and the exports' sizes all count here.
/// </summary>
public static class ProgressRollUps
{
    /// <summary>The total (path null) and, with <paramref name="groups"/>, one row per group one level down.</summary>
    public static Task<IReadOnlyList<RollUpRow>> RowsAsync(NpgsqlConnection connection, ReportScope scope, bool groups,
        CancellationToken cancellationToken) =>
        ProgressStatus.Depth(scope.Root) < ProgressStatus.CountyDepth
            ? ProgressFold.RollUpAsync(connection, scope, groups, cancellationToken)
            : ProgressTallyStore.RollUpAsync(connection, scope, groups ? ProgressStatus.RollUpDepth(scope.Root) : null, cancellationToken);

    /// <summary>How many in-post teachers under the scope have <paramref name="status"/> (null: all).</summary>
    public static async Task<long> CountAsync(NpgsqlConnection connection, ReportScope scope, string? status, CancellationToken cancellationToken)
    {
        var total = (await RowsAsync(connection, scope, groups: false, cancellationToken)).FirstOrDefault(r => r.Path is null) ?? new RollUpRow();
        return status switch
        {
            null => total.Teachers,
            ProgressStatuses.Completed => total.Completed,
            ProgressStatuses.OnTrack => total.OnTrack,
            ProgressStatuses.Behind => total.Behind,
            ProgressStatuses.NotStarted => total.NotStarted,
            ProgressStatuses.OptedOut => total.OptedOut,
            _ => throw new ArgumentOutOfRangeException(nameof(status), status, "a status of ProgressStatuses"),
        };
    }
}
