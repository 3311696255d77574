using System.Diagnostics;
using System.Text.Json.Nodes;

namespace TrainingPlatform.Deploy.Tests.Support;

/// <summary>
/// Renders a kustomization the way a deployment would (<c>kubectl kustomize</c>, the kustomize built into kubectl),
/// offline: it reads only the folder. scripts/prerequisites.sh makes sure kubectl is there.
/// </summary>
internal static class Kustomize
{
    public static IReadOnlyList<JsonObject> Render(string kustomizationDirectory)
    {
        var start = new ProcessStartInfo("kubectl", ["kustomize", kustomizationDirectory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("kubectl did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("kubectl is not on PATH: scripts/prerequisites.sh (ensure_kubectl) installs it", ex);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"kubectl kustomize {kustomizationDirectory} failed ({process.ExitCode}): {errors.Result}");
            }

            return YamlJson.ReadDocuments(output.Result);
        }
    }
}
