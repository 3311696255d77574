using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.BuildingBlocks.Auditing;

/// <summary>Who did it and from where, as recorded; taken from the request, or kept by a job the request started.</summary>
public sealed record AuditActor(Guid AccountId, string Login, string Role, string OrganisationPath, string? ClientAddress, string? TraceId)
{
    public static AuditActor From(HttpContext http)
    {
        var user = PlatformUser.From(http.User);
        return new AuditActor(user.AccountId, user.Name, user.Role, user.OrganisationPath, ClientAddressOf(http), Activity.Current?.TraceId.ToString());
    }

    // The gateway (YARP) in front appends the caller's address to X-Forwarded-For; the first entry is the original caller.
    internal static string? ClientAddressOf(HttpContext http)
    {
        var forwarded = http.Request.Headers["X-Forwarded-For"].ToString();
        if (!string.IsNullOrWhiteSpace(forwarded))
        {
            var first = forwarded.Split(',', 2)[0].Trim();
            if (first.Length > 0)
            {
                return first.Length > 100 ? first[..100] : first;
            }
        }
        return http.Connection.RemoteIpAddress?.ToString();
    }
}

/// <summary>
/// Records privileged writes in the service's audit trail, in the same transaction as the change: the record exists
/// if and only if the change does. Actions are kebab-case (<c>credit-policy-activated</c>); summaries say in Chinese
/// what changed. The record waits in <c>audit_pending</c> until the sealer (<see cref="AuditSealer"/>) chains it,
/// within milliseconds of the commit under load and within <c>Audit:SealInterval</c> otherwise; the trail's search
/// and verification chain what is waiting first, so the auditor sees it as soon as the action has answered.
/// </summary>
public static class AuditTrail
{
    public static Task RecordAsync(UnitOfWork unitOfWork, HttpContext http, string action, string targetKind, string targetId,
        string summary, CancellationToken cancellationToken) =>
        RecordAsync(unitOfWork, AuditActor.From(http), action, targetKind, targetId, summary, cancellationToken);

    public static Task RecordAsync(UnitOfWork unitOfWork, AuditActor actor, string action, string targetKind, string targetId,
        string summary, CancellationToken cancellationToken)
    {
        // The sealer of this process is woken by the commit, not before: a record it looked for too early would wait for the poll.
        unitOfWork.AfterCommit(AuditSealer.Signal);
        return RecordAsync(unitOfWork.Connection, unitOfWork.Transaction, actor, action, targetKind, targetId, summary, cancellationToken);
    }

    /// <summary>For a write that is not a database change (a broker re-drive): the record in its own short transaction.</summary>
    public static async Task RecordAloneAsync(NpgsqlDataSource db, HttpContext http, string action, string targetKind, string targetId,
        string summary, CancellationToken cancellationToken)
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        await RecordAsync(unitOfWork, http, action, targetKind, targetId, summary, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
    }

    /// <summary>Inside a transaction that is not a <see cref="UnitOfWork"/>: chained at the sealer's next poll.</summary>
    public static Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AuditActor actor, string action,
        string targetKind, string targetId, string summary, CancellationToken cancellationToken) =>
        AuditPendingStore.AddAsync(connection, transaction,
            new AuditRecord(0, DateTimeOffset.UtcNow, actor.AccountId, actor.Login, actor.Role, actor.OrganisationPath, action, targetKind,
                targetId, summary, actor.ClientAddress, actor.TraceId, "", ""),
            cancellationToken);
}
