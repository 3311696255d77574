using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace TrainingPlatform.Benchmarks;

/// <summary>
/// A service or the gateway as it runs in production (environment Production, the given settings), in the benchmark's
/// process; call <c>UseKestrel</c> and <c>StartServer</c> to serve it on a real port.
/// </summary>
internal sealed class ProductionHost<TEntryPoint>(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<TEntryPoint>
    where TEntryPoint : class
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
