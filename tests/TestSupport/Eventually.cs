namespace TrainingPlatform.TestSupport;

public static class Eventually
{
    /// <summary>Polls until <paramref name="condition"/> holds, failing the test with <paramref name="what"/> after the timeout.</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0}s waiting for: {what}");
            }
            await Task.Delay(100);
        }
    }
}
