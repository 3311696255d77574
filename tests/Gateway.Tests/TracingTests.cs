using System.Collections.Concurrent;
using System.Diagnostics;
using TrainingPlatform.Gateway.Tests.Support;

namespace TrainingPlatform.Gateway.Tests;

public sealed class TracingTests
{
    [Fact]
    public async Task An_incoming_traceparent_reaches_the_service_through_gateway_spans_of_the_same_trace()
    {
        await using var platform = await TestPlatform.StartAsync(("catalog", 1));
        var traceId = ActivityTraceId.CreateRandom();
        var callerSpanId = ActivitySpanId.CreateRandom();
        using var recorder = new SpanRecorder(traceId);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/catalog/courses");
        request.Headers.Add("traceparent", $"00-{traceId}-{callerSpanId}-01");
        using var response = await platform.Client.SendAsync(request);
        response.EnsureSuccessStatusCode();

        var echo = platform["catalog"].Received.Single();
        Assert.NotNull(echo.Traceparent);
        var received = ActivityContext.Parse(echo.Traceparent, null);

        // Same trace, but the service's parent is not the caller's span: the gateway's spans sit in between.
        Assert.Equal(traceId, received.TraceId);
        Assert.NotEqual(callerSpanId, received.SpanId);

        // caller span -> gateway's server span -> gateway's outgoing HTTP span -> the service.
        var outgoing = recorder.Single(received.SpanId);
        Assert.Equal(ActivityKind.Client, outgoing.Kind);
        Assert.Equal("System.Net.Http", outgoing.Source.Name);
        var gatewayServer = recorder.Single(outgoing.ParentSpanId);
        Assert.Equal(ActivityKind.Server, gatewayServer.Kind);
        Assert.Equal(callerSpanId, gatewayServer.ParentSpanId);
    }

    /// <summary>Records the spans of one trace started in this process (the gateway's and the stand-in services').</summary>
    private sealed class SpanRecorder : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly ConcurrentDictionary<ActivitySpanId, Activity> _spans = new();

        public SpanRecorder(ActivityTraceId traceId)
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name is "Microsoft.AspNetCore" or "System.Net.Http",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStarted = activity =>
                {
                    if (activity.TraceId == traceId)
                    {
                        _spans[activity.SpanId] = activity;
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public Activity Single(ActivitySpanId spanId) =>
            _spans.TryGetValue(spanId, out var span) ? span : throw new Xunit.Sdk.XunitException(
                $"No span {spanId} recorded; recorded: {string.Join(", ", _spans.Values.Select(s => $"{s.Source.Name}/{s.Kind}/{s.SpanId}<-{s.ParentSpanId}"))}");

        public void Dispose() => _listener.Dispose();
    }
}
