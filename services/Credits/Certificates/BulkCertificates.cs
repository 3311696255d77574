using System.Text;
using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Services.Credits.Compliance;
using TrainingPlatform.Services.Credits.Policies;
using TrainingPlatform.Services.Credits.Reports;

namespace TrainingPlatform.Services.Credits.Certificates;

public sealed record BulkRequest(string? Under);

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
        group.MapPost("/", StartAsync);
        group.MapGet("/{id:guid}", StatusAsync);
        group.MapGet("/{id:guid}/download", DownloadAsync);
        return app;
    }

    private static async Task<IResult> StartAsync(BulkRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var root = ReportEndpoints.Root(user, request.Under);
        if (root is null)
        {
            return Problems.NotFound($"机构 {request.Under} 不存在或不在你的管理范围内");
        }
        var id = Guid.CreateVersion7(clock.GetUtcNow());
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into certificate_jobs (id, scope_path, requested_by, status, created_at) values (@Id, @Root, @By, 'queued', @Now)
            """, new { Id = id, Root = root, By = $"{user.Name} ({user.AccountId})", Now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
        return TypedResults.Accepted($"/api/credits/certificates/bulk/{id}", new { id, status = "queued" });
    }

    private sealed record JobRow
    {
        public Guid Id { get; init; }
        public string ScopePath { get; init; } = "";
        public string RequestedBy { get; init; } = "";
        public string Status { get; init; } = "";
        public int Total { get; init; }
        public int Done { get; init; }
        public int Issued { get; init; }
        public int Certificates { get; init; }
        public string? Error { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset? FinishedAt { get; init; }
    }

    private static async Task<JobRow?> VisibleJobAsync(NpgsqlConnection connection, Guid id, PlatformUser user, CancellationToken cancellationToken)
    {
        var job = await connection.QuerySingleOrDefaultAsync<JobRow>(new CommandDefinition("""
            select id, scope_path, requested_by, status, total, done, issued, certificates, error, created_at, finished_at from certificate_jobs where id = @Id
            """, new { Id = id }, cancellationToken: cancellationToken));
        return job is not null && (user.IsOperator || user.CanSeeOrganisation(job.ScopePath)) ? job : null;
    }

    private static async Task<IResult> StatusAsync(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var job = await VisibleJobAsync(connection, id, PlatformUser.From(http.User), cancellationToken);
        return job is null ? Problems.NotFound("任务不存在") : TypedResults.Ok(job);
    }

    private static async Task<IResult> DownloadAsync(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var job = await VisibleJobAsync(connection, id, PlatformUser.From(http.User), cancellationToken);
        if (job is null)
        {
            return Problems.NotFound("任务不存在");
        }
        if (job.Status != "succeeded")
        {
            return Problems.Conflict($"任务尚未完成（{job.Status}，{job.Done}/{job.Total}）", "job-not-finished");
        }
        var content = await connection.ExecuteScalarAsync<byte[]>(new CommandDefinition("select content from certificate_jobs where id = @Id",
            new { Id = id }, cancellationToken: cancellationToken));
        return TypedResults.File(content!, "text/html; charset=utf-8", $"certificates-{id:N}.html");
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
            job = await claim.Connection.QuerySingleOrDefaultAsync<(Guid, string)>(new CommandDefinition("""
                update certificate_jobs set status = 'running'
                where id = (select id from certificate_jobs where status = 'queued' order by created_at limit 1 for update skip locked)
                returning id, scope_path
                """, transaction: claim.Transaction, cancellationToken: cancellationToken));
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
            await connection.ExecuteAsync(new CommandDefinition("update certificate_jobs set status = 'failed', error = @Error, finished_at = now() where id = @Id",
                new { Id = job.Id, Error = exception.Message }, cancellationToken: cancellationToken));
            LogFailed(exception);
        }
        return true;
    }

    private async Task RunAsync(Guid jobId, string root, CancellationToken cancellationToken)
    {
        var teachers = await TeachersAsync(root, cancellationToken);
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition("update certificate_jobs set total = @Total where id = @Id",
                new { Id = jobId, Total = teachers.Count }, cancellationToken: cancellationToken));
        }
        var issuedBefore = await CountIssuedAsync(root, cancellationToken);
        foreach (var batch in teachers.Chunk(BatchSize))
        {
            await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
            var policy = await PolicyStore.ActiveAsync(unitOfWork.Connection, unitOfWork.Transaction, cancellationToken);
            var now = clock.GetUtcNow();
            var standings = await ComplianceStore.StandingsAsync(unitOfWork.Connection, unitOfWork.Transaction, batch, policy, ProvinceCalendar.DayOf(now),
                policy.CycleOf(ProvinceCalendar.DayOf(now).Year).First, cancellationToken);
            await StandingBook.SaveAllAsync(unitOfWork, standings, policy, now, cancellationToken);
            await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("update certificate_jobs set done = done + @Count where id = @Id",
                new { Id = jobId, Count = batch.Length }, unitOfWork.Transaction, cancellationToken: cancellationToken));
            await unitOfWork.CommitAsync(cancellationToken);
        }

        await using var final = await db.OpenConnectionAsync(cancellationToken);
        var certificates = (await final.QueryAsync<CertificateRow>(new CommandDefinition($"""
            select id, number, teacher_id, teacher_name, school_path, cycle_start, cycle_end, total_hours, issued_at, revoked_at, revoked_reason
            from certificates where revoked_at is null and {PlatformUser.ScopeSql("school_path")} order by school_path, teacher_name
            """, PlatformUser.ScopeParametersFor(root), cancellationToken: cancellationToken))).ToList();
        var file = new StringBuilder();
        foreach (var certificate in certificates)
        {
            file.Append(CertificateEndpoints.Page(certificate));
        }
        await final.ExecuteAsync(new CommandDefinition("""
            update certificate_jobs set status = 'succeeded', content = @Content, certificates = @Certificates, issued = @Issued, finished_at = now()
            where id = @Id
            """, new
        {
            Id = jobId, Content = Encoding.UTF8.GetBytes(file.ToString()), Certificates = certificates.Count,
            Issued = await CountIssuedAsync(root, cancellationToken) - issuedBefore,
        }, cancellationToken: cancellationToken));
    }

    private async Task<IReadOnlyList<Guid>> TeachersAsync(string root, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<Guid>(new CommandDefinition(
            $"select id from teachers where in_post and {PlatformUser.ScopeSql("school_path")} order by id",
            PlatformUser.ScopeParametersFor(root), cancellationToken: cancellationToken))];
    }

    private async Task<long> CountIssuedAsync(string root, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"select count(*) from certificates where revoked_at is null and {PlatformUser.ScopeSql("school_path")}",
            PlatformUser.ScopeParametersFor(root), cancellationToken: cancellationToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A bulk certificate job failed")]
    private partial void LogFailed(Exception exception);
}
