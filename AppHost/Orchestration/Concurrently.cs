using System.Runtime.ExceptionServices;

namespace TrainingPlatform.AppHost.Orchestration;

internal static class Concurrently
{
    /// <summary>
    /// Runs all, and on the first failure cancels the others (no point waiting 90 s for siblings) and
    /// rethrows that first failure rather than the cancellations it caused.
    /// </summary>
    public static async Task RunAsync(CancellationToken cancellationToken, IEnumerable<Func<CancellationToken, Task>> work)
    {
        using var siblings = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? firstFailure = null;
        var tasks = work.Select(async item =>
        {
            try
            {
                await item(siblings.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Interlocked.CompareExchange(ref firstFailure, e, null);
                await siblings.CancelAsync();
                throw;
            }
        }).ToList();

        try
        {
            await Task.WhenAll(tasks);
        }
        catch when (firstFailure is not null)
        {
            ExceptionDispatchInfo.Throw(firstFailure);
        }
    }
}
