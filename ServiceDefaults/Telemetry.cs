using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace TrainingPlatform.ServiceDefaults;

public static class Telemetry
{
    /// <summary>Every activity source and meter the platform's own code uses starts with this.</summary>
    public const string SourcePrefix = "TrainingPlatform";

    /// <summary>
    /// One trace from the gateway through a service, the broker and the consumer: ASP.NET Core and HttpClient
    /// spans carry W3C trace context over HTTP, MassTransit's spans carry it over RabbitMQ, and the outbox
    /// stores it with the row so the dispatch continues the request's trace.
    /// </summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("MassTransit", "Npgsql", $"{SourcePrefix}.*"))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource("MassTransit", "Npgsql", $"{SourcePrefix}.*")
                .AddAspNetCoreInstrumentation(o =>
                    // Probes every few seconds would drown the real traffic.
                    o.Filter = ctx => !ctx.Request.Path.StartsWithSegments(Extensions.HealthEndpointPath)
                                      && !ctx.Request.Path.StartsWithSegments(Extensions.AlivenessEndpointPath))
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }
}
