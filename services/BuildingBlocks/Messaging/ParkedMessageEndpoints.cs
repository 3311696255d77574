using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Npgsql;
using RabbitMQ.Client.Exceptions;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.BuildingBlocks.Messaging;

/// <summary>Which parked messages to re-drive: the ids, or none (an absent body or list) for all of them.</summary>
public sealed record RedriveRequest(
    [property: System.ComponentModel.Description("要重新投递的消息编号（GUID）；不传表示该队列的全部滞留消息")]
    [property: System.ComponentModel.DataAnnotations.Length(1, ParkedMessageEndpoints.MaxIds)]
    IReadOnlyList<string>? MessageIds);

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
        // Every service maps these, so the operation ids carry the service's name to stay unique in the gateway's merged reference.
        var service = char.ToUpperInvariant(serviceName[0]) + serviceName[1..];
        group.MapGet("/", ListAsync).WithName($"List{service}ParkedMessages")
            .WithSummary("列出滞留消息")
            .WithDescription($"本服务（{serviceName}）各接收队列的错误队列中滞留的消息：因自身原因无法处理的消息连同原因停在这里，修复原因后可重新投递。每个队列最多列出 {ListLimit} 条，count 为总数。");
        group.MapPost("/{queue}/redrive", RedriveAsync).WithName($"Redrive{service}ParkedMessages")
            .WithSummary("重新投递滞留消息")
            .WithDescription($"把错误队列中的消息放回原队列重新处理（消费者按收件箱去重，重复投递不会重复生效）。不传 messageIds 表示全部；一次最多 {MaxIds} 个编号。");
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<ParkedQueue>>, UnavailableProblem>> ListAsync(ParkedMessages parked, CancellationToken cancellationToken)
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

    private static async Task<Results<Ok<RedriveOutcome>, ValidationFailed, NotFoundProblem, UnavailableProblem>> RedriveAsync(string queue, RedriveRequest? request, ParkedMessages parked, HttpContext http,
        NpgsqlDataSource db, ILoggerFactory loggers, CancellationToken cancellationToken)
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
            // The move is on the broker, not in the database, so the record has a short transaction of its own.
            await AuditTrail.RecordAloneAsync(db, http, "parked-messages-redriven", "queue", queue,
                $"重新投递队列 {queue} 的滞留消息{(ids is null ? "（全部）" : $"（按编号 {ids.Count} 个）")}，实际放回 {outcome.Moved} 条", cancellationToken);
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

    private static UnavailableProblem BrokerUnavailable() =>
        Problems.Unavailable("消息服务器暂时无法连接或未确认收到消息；尚未投递回原队列的消息仍滞留在错误队列中，不会丢失，请稍后重试。", "broker-unavailable");
}
