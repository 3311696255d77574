using System.Diagnostics;
using System.Net;
using TrainingPlatform.AppHost.Infrastructure;

namespace TrainingPlatform.AppHost.Orchestration;

/// <summary>Polls <c>GET /health</c> until 200 — the services answer 200 only once their database and broker respond.</summary>
internal static class HealthProbe
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    // No proxy: an http_proxy in the environment must not capture requests to 127.0.0.1.
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false })
    {
        Timeout = TimeSpan.FromSeconds(5),
    };

    public static async Task WaitUntilHealthyAsync(ManagedProcess process, string baseUrl, CancellationToken cancellationToken)
    {
        var url = $"{baseUrl}/health";
        var lastAnswer = "no answer yet";
        var elapsed = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                await process.Exited;
                throw new StartupException(
                    $"{process.Name} exited with code {process.ExitCode} before it became healthy. Last output:"
                    + $"{Environment.NewLine}{process.FormatLastLines()}");
            }

            if (elapsed.Elapsed > Timeout)
            {
                throw new StartupException(
                    $"{process.Name} did not become healthy within {Timeout.TotalSeconds:0} s (GET {url}: {lastAnswer}). Last output:"
                    + $"{Environment.NewLine}{process.FormatLastLines()}");
            }

            try
            {
                using var response = await Http.GetAsync(url, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                lastAnswer = $"HTTP {(int)response.StatusCode} {Shorten(body)}";
            }
            catch (HttpRequestException e)
            {
                lastAnswer = e.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                lastAnswer = $"no answer within {Http.Timeout.TotalSeconds:0} s";
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    private static string Shorten(string text)
    {
        text = text.ReplaceLineEndings(" ").Trim();
        return text.Length <= 400 ? text : text[..400] + "…";
    }
}
