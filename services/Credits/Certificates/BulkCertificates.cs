using System.ComponentModel;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Services.Credits.Compliance;
using TrainingPlatform.Services.Credits.Policies;
using TrainingPlatform.Services.Credits.Reports;

namespace TrainingPlatform.Services.Credits.Certificates;

public sealed record BulkRequest(
    [property: Description("机构路径（如 37/3716/371602），须在管理范围内；缺省为本人所属机构")] string? Under);

/// <summary>The states a bulk-certificate job goes through.</summary>
public static class CertificateJobStatuses
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Queued] = "排队中", [Running] = "进行中", [Succeeded] = "已完成", [Failed] = "失败",
    };
}

/// <summary>A bulk-certificate job just queued; its address is in the Location header.</summary>
public sealed record CertificateJobQueued(Guid Id, [property: Codes(typeof(CertificateJobStatuses))] string Status);

/// <summary>A bulk-certificate job and its progress.</summary>
public sealed record CertificateJobView
{
    public Guid Id { get; init; }
    [Description("机构路径：为其中的在岗教师发证")]
    public string ScopePath { get; init; } = "";
    public string RequestedBy { get; init; } = "";
    [Codes(typeof(CertificateJobStatuses))]
    public string Status { get; init; } = "";
    [Description("要评估的教师人数")]
    public int Total { get; init; }
    [Description("已评估的教师人数")]
    public int Done { get; init; }
    [Description("本次新发的证书数")]
    public int Issued { get; init; }
    [Description("文件中的有效证书数")]
    public int Certificates { get; init; }
    [Description("失败原因")]
    public string? Error { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
}

/// <summary>
/// A school or district issues its certificates in bulk, as a background job: every teacher in scope is evaluated
/// now (certificates due are issued, broken ones revoked), then one printable file holds all valid certificates,
/// one per page. The job reports rows done / total while it runs.
/// </summary>
public static class BulkCertificates
{
    public static IEndpointRouteBuilder MapBulkCertificateEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/credits/certificates/bulk").WithTags("Certificates")
            .RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator, Roles.DistrictAdmin, Roles.SchoolAdmin));
        group.MapPost("/", StartAsync)
            .WithName("StartBulkCertificates").WithSummary("批量发证")
            .WithDescription("后台任务：评估范围内每位在岗教师（该发的发、该撤的撤），再把全部有效证书合成一个可打印文件。用返回的地址查询进度。");
        group.MapGet("/{id:guid}", StatusAsync)
            .WithName("GetBulkCertificateJob").WithSummary("批量发证进度")
            .WithDescription("任务状态与已评估人数 / 总人数。");
        group.MapGet("/{id:guid}/download", DownloadAsync)
            .Produces<string>(StatusCodes.Status200OK, "text/html")
            .WithName("DownloadBulkCertificates").WithSummary("下载批量证书文件")
            .WithDescription("任务完成后下载可打印的证书文件（HTML，每页一张）；未完成时答 409。");
        return app;
    }

    private static async Task<Results<Accepted<CertificateJobQueued>, NotFoundProblem>> StartAsync(BulkRequest request, HttpContext http,
        NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var root = ReportEndpoints.Root(user, request.Under);
        if (root is null)
        {
            return Problems.NotFound($"机构 {request.Under} 不存在或不在你的管理范围内");
        }
        var id = Guid.CreateVersion7(clock.GetUtcNow());
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        await CertificateStore.QueueJobAsync(unitOfWork.Connection, id, root, $"{user.Name} ({user.AccountId})", clock.GetUtcNow(), cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "certificates-bulk-issue-started", "certificate-job", id.ToString(),
            $"发起批量发证：评估{(root.Length == 0 ? "全省" : $" {root} 范围内")}在岗教师（该发的发、该撤的撤）并生成可打印证书文件", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Accepted($"/api/credits/certificates/bulk/{id}", new CertificateJobQueued(id, CertificateJobStatuses.Queued));
    }

    private static async Task<CertificateJobView?> VisibleJobAsync(NpgsqlConnection connection, Guid id, PlatformUser user, CancellationToken cancellationToken)
    {
        var job = await CertificateStore.JobAsync(connection, id, cancellationToken);
        return job is not null && (user.IsOperator || user.CanSeeOrganisation(job.ScopePath)) ? job : null;
    }

    private static async Task<Results<Ok<CertificateJobView>, NotFoundProblem>> StatusAsync(Guid id, HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var job = await VisibleJobAsync(connection, id, PlatformUser.From(http.User), cancellationToken);
        return job is null ? Problems.NotFound("任务不存在") : TypedResults.Ok(job);
    }

    private static async Task<Results<FileContentHttpResult, NotFoundProblem, ConflictProblem>> DownloadAsync(Guid id, HttpContext http,
        NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var job = await VisibleJobAsync(connection, id, PlatformUser.From(http.User), cancellationToken);
        if (job is null)
        {
            return Problems.NotFound("任务不存在");
        }
        if (job.Status != CertificateJobStatuses.Succeeded)
        {
            return Problems.Conflict($"任务尚未完成（{job.Status}，{job.Done}/{job.Total}）", "job-not-finished");
        }
        var content = await CertificateStore.JobContentAsync(connection, id, cancellationToken);
        return TypedResults.File(content!, CertificateEndpoints.HtmlContentType, $"certificates-{id:N}.html");
    }
}

/// <summary>Runs queued bulk-certificate jobs, one at a time per replica, in batches of teachers.</summary>
internal sealed partial class BulkCertificateWorker(NpgsqlDataSource db, TimeProvider clock, ILogger<BulkCertificateWorker> logger) : BackgroundService
{
    private const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await RunNextAsync(stoppingToken))
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), clock, stoppingToken);
                }
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                LogFailed(exception);
                await Task.Delay(TimeSpan.FromSeconds(5), clock, stoppingToken);
            }
        }
    }

    internal async Task<bool> RunNextAsync(CancellationToken cancellationToken)
    {
        (Guid Id, string ScopePath) job;
        await using (var claim = await UnitOfWork.BeginAsync(db, cancellationToken))
        {
            job = await CertificateStore.ClaimJobAsync(claim, cancellationToken);
            await claim.CommitAsync(cancellationToken);
        }
        if (job.Id == Guid.Empty)
        {
            return false;
        }
        try
        {
            await RunAsync(job.Id, job.ScopePath, cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException)
        {
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            await CertificateStore.FailJobAsync(connection, job.Id, exception.Message, cancellationToken);
            LogFailed(exception);
        }
        return true;
    }

    private async Task RunAsync(Guid jobId, string root, CancellationToken cancellationToken)
    {
        var teachers = await TeachersAsync(root, cancellationToken);
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            await CertificateStore.SetJobTotalAsync(connection, jobId, teachers.Count, cancellationToken);
        }
        var issuedBefore = await CountIssuedAsync(root, cancellationToken);
        foreach (var batch in teachers.Chunk(BatchSize))
        {
            await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
            var policy = await PolicyStore.ActiveAsync(unitOfWork.Connection, unitOfWork.Transaction, cancellationToken);
            var now = clock.GetUtcNow();
            var standings = await ComplianceStore.StandingsAsync(unitOfWork.Connection, unitOfWork.Transaction, batch, policy, ProvinceCalendar.DayOf(now),
                policy.CycleOf(ProvinceCalendar.DayOf(now).Year).First, cancellationToken);
            await ComplianceStore.SaveAllAsync(unitOfWork, standings, policy, now, cancellationToken);
            await CertificateStore.AddJobDoneAsync(unitOfWork, jobId, batch.Length, cancellationToken);
            await unitOfWork.CommitAsync(cancellationToken);
        }

        await using var final = await db.OpenConnectionAsync(cancellationToken);
        var certificates = await CertificateStore.ValidUnderAsync(final, root, cancellationToken);
        var file = new StringBuilder();
        foreach (var certificate in certificates)
        {
            file.Append(CertificateEndpoints.Page(certificate));
        }
        await CertificateStore.FinishJobAsync(final, jobId, Encoding.UTF8.GetBytes(file.ToString()), certificates.Count,
            await CountIssuedAsync(root, cancellationToken) - issuedBefore, cancellationToken);
    }

    private async Task<IReadOnlyList<Guid>> TeachersAsync(string root, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await CertificateStore.InPostTeachersUnderAsync(connection, root, cancellationToken);
    }

    private async Task<long> CountIssuedAsync(string root, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await CertificateStore.CountValidUnderAsync(connection, root, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A bulk certificate job failed")]
    private partial void LogFailed(Exception exception);
}
