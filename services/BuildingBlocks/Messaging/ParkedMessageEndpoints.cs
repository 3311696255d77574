using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client.Exceptions;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.BuildingBlocks.Messaging;

/// <summary>Which parked messages to re-drive: the ids, or none (an absent body or list) for all of them.</summary>
public sealed record RedriveRequest(IReadOnlyList<string>? MessageIds);

/// <summary>
/// The operator's view of <see cref="ParkedMessages"/>, the same under every service
/// (<c>/api/&lt;service&gt;/operations/parked</c>), so the portal asks each service through the gateway.
/// </summary>
public static class ParkedMessageEndpoints
{
    /// <summary>Messages listed per queue; the count says how many more there are.</summary>
    public const int ListLimit = 100;

    /// <summary>Ids in one re-drive request.</summary>
    public const int MaxIds = 1000;

    public static IEndpointRouteBuilder MapParkedMessageEndpoints(this IEndpointRouteBuilder app, string serviceName)
    {
        var group = app.MapGroup($"/api/{serviceName}/operations/parked").WithTags("Parked messages")
            .RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator));
        group.MapGet("/", ListAsync);
        group.MapPost("/{queue}/redrive", RedriveAsync);
        return app;
    }

    private static async Task<IResult> ListAsync(ParkedMessages parked, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(await parked.ListAsync(ListLimit, cancellationToken));
        }
        catch (Exception e) when (IsBrokerFailure(e))
        {
            return BrokerUnavailable();
        }
    }

    private static async Task<IResult> RedriveAsync(string queue, RedriveRequest? request, ParkedMessages parked, HttpContext http,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!parked.Owns(queue))
        {
            return Problems.NotFound($"本服务没有名为“{queue}”的接收队列，请从滞留消息列表中选择队列", "unknown-queue");
        }
        var validation = new Validation();
        List<Guid>? ids = null;
        if (request?.MessageIds is { } given)
        {
            validation.Require(given.Count is > 0 and <= MaxIds, "messageIds",
                $"请给出 1–{MaxIds} 个消息编号；要重新投递全部滞留消息，请不传 messageIds", Validation.OutOfRange);
            ids = [];
            for (var i = 0; i < given.Count; i++)
            {
                if (Guid.TryParse(given[i], out var id))
                {
                    ids.Add(id);
                }
                else
                {
                    validation.Add($"messageIds[{i}]", $"“{given[i]}”不是有效的消息编号（应为 GUID）", "invalid-message-id");
                }
            }
        }
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        try
        {
            var outcome = await parked.RedriveAsync(queue, ids, cancellationToken);
            loggers.CreateLogger(typeof(ParkedMessageEndpoints)).LogInformation(
                "{Operator} re-drove {Moved} parked messages of {Queue} ({Which})", PlatformUser.From(http.User).Name, outcome.Moved, queue,
                ids is null ? "all" : $"{ids.Count} by id");
            return TypedResults.Ok(outcome);
        }
        catch (Exception e) when (IsBrokerFailure(e))
        {
            return BrokerUnavailable();
        }
    }

    private static bool IsBrokerFailure(Exception e) =>
        e is BrokerUnreachableException or OperationInterruptedException or AlreadyClosedException or PublishException or SocketException
            or TimeoutException;

    private static IResult BrokerUnavailable() =>
        TypedResults.Problem(detail: "消息服务器暂时无法连接或未确认收到消息；尚未投递回原队列的消息仍滞留在错误队列中，不会丢失，请稍后重试。", statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "消息服务器不可用 (broker unavailable)", extensions: new Dictionary<string, object?> { ["rule"] = "broker-unavailable" });
}
