using System.Globalization;
using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Credits;
using TrainingPlatform.Services.Credits.Compliance;
using TrainingPlatform.Services.Credits.Policies;

namespace TrainingPlatform.Services.Credits.Certificates;

/// <summary>
/// Certificates and the bulk-certificate jobs. Issues a cycle's certificate once when every rule of the active policy is met, and revokes it only when a
/// correction of the records breaks it under the policy it was issued under (see <see cref="CertificateRules"/>).
/// </summary>
public static class CertificateStore
{
    private sealed record HeldRow
    {
        public Guid Id { get; init; }
        public string Number { get; init; } = "";
        public Guid TeacherId { get; init; }
        public int CycleStart { get; init; }
        public int CycleEnd { get; init; }
        public DateTimeOffset IssuedAt { get; init; }
        public string? PolicyCode { get; init; }
        public int? PolicyVersion { get; init; }
    }

    private sealed record CorrectionRow
    {
        public Guid TeacherId { get; init; }
        public string Kind { get; init; } = "";
        public Guid? EntryId { get; init; }
        public string Title { get; init; } = "";
        public decimal Hours { get; init; }
        public string Category { get; init; } = "";
        public string Mode { get; init; } = "";
        public string Level { get; init; } = "";
        public string Source { get; init; } = "";
        public int Year { get; init; }
        public string? Reason { get; init; }
        public string? PostedBy { get; init; }
        public DateTimeOffset HappenedAt { get; init; }
    }

    /// <summary>
    /// Issues or revokes for many standings (under <paramref name="activePolicy"/>): one query finds the valid
    /// certificates of them all, one the corrections since; only the few certificates with a correction since are
    /// judged again, under their own policy.
    /// </summary>
    public static async Task SettleAllAsync(UnitOfWork unitOfWork, IReadOnlyList<(Guid TeacherId, ComplianceResult Result)> standings, CreditPolicy activePolicy,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (standings.Count == 0)
        {
            return;
        }
        var connection = unitOfWork.Connection;
        var valid = (await connection.QueryAsync<HeldRow>(new CommandDefinition("""
            select id, number, teacher_id, cycle_start, cycle_end, issued_at, policy_code, policy_version
            from certificates
            where teacher_id = any(@Teachers) and revoked_at is null
            order by teacher_id, cycle_start
            for update
            """, new { Teachers = standings.Select(s => s.TeacherId).Distinct().ToArray() }, unitOfWork.Transaction, cancellationToken: cancellationToken)))
            .Select(r => new HeldCertificate(r.Id, r.Number, r.TeacherId, r.CycleStart, r.CycleEnd, r.IssuedAt, r.PolicyCode, r.PolicyVersion)).ToList();

        var revoked = await ReviewAsync(unitOfWork, valid, activePolicy, now, cancellationToken);
        var held = valid.Where(c => !revoked.Contains(c.Id)).ToLookup(c => c.TeacherId);
        foreach (var (teacherId, result) in standings)
        {
            if (CertificateRules.ShouldIssue(result, held[teacherId]))
            {
                await IssueAsync(unitOfWork, teacherId, result, activePolicy, now, cancellationToken);
            }
        }
    }

    /// <summary>Judges again the certificates whose records were corrected since they were issued; says which it revoked.</summary>
    private static async Task<HashSet<Guid>> ReviewAsync(UnitOfWork unitOfWork, IReadOnlyList<HeldCertificate> valid, CreditPolicy activePolicy,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var revoked = new HashSet<Guid>();
        if (valid.Count == 0)
        {
            return revoked;
        }
        var connection = unitOfWork.Connection;
        var corrections = (await connection.QueryAsync<CorrectionRow>(new CommandDefinition("""
            select teacher_id, 'reversal' as kind, id as entry_id, title, hours, category, mode, level, source, year, reason, posted_by,
                   posted_at as happened_at
            from ledger_entries
            where teacher_id = any(@Teachers) and reverses_id is not null and posted_at > @Since
            union all
            select teacher_id, 'failed_year', null, '', 0, '', '', '', '', year, reason, null, recorded_at
            from failed_years
            where teacher_id = any(@Teachers) and recorded_at > @Since
            """, new
        {
            Teachers = valid.Select(c => c.TeacherId).Distinct().ToArray(),
            Since = (valid.Min(c => c.IssuedAt) - CertificateRules.Overlap).UtcDateTime,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken)))
            .ToLookup(r => r.TeacherId, r => new Correction(r.Kind, r.EntryId, r.Title, r.Hours, r.Category, r.Mode, r.Level, r.Source, r.Year, r.Reason,
                r.PostedBy, r.HappenedAt));
        var corrected = valid.Where(c => CertificateRules.Since(c, corrections[c.TeacherId]).Count > 0).ToList();
        if (corrected.Count == 0)
        {
            return revoked;
        }
        var inputs = await ComplianceStore.InputsAsync(connection, unitOfWork.Transaction, [.. corrected.Select(c => c.TeacherId).Distinct()],
            cancellationToken);
        var policies = await PolicyStore.VersionsAsync(connection, unitOfWork.Transaction,
            [.. corrected.Where(c => c.PolicyCode is not null && c.PolicyVersion is not null).Select(c => (c.PolicyCode!, c.PolicyVersion!.Value)).Distinct()],
            cancellationToken);
        var today = ProvinceCalendar.DayOf(now);
        foreach (var certificate in corrected)
        {
            if (!inputs.TryGetValue(certificate.TeacherId, out var input))
            {
                continue;
            }
            // Only a certificate from before policy versions were kept can lack one (0004 gave the valid ones the policy
            // then active); until then every certificate was judged by the active policy, so it still is.
            var issuedUnder = certificate.PolicyCode is { } code && certificate.PolicyVersion is { } version
                && policies.TryGetValue((code, version), out var policy) ? policy : activePolicy;
            if (CertificateRules.Review(certificate, issuedUnder, input.Facts, input.Credits, input.FailedYears, corrections[certificate.TeacherId], today)
                is CertificateReview.Revoke revoke)
            {
                await RevokeAsync(unitOfWork, certificate, revoke, now, cancellationToken);
                revoked.Add(certificate.Id);
            }
        }
        return revoked;
    }

    private static async Task IssueAsync(UnitOfWork unitOfWork, Guid teacherId, ComplianceResult result, CreditPolicy policy, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var sequence = await unitOfWork.Connection.ExecuteScalarAsync<long>(new CommandDefinition("select nextval('certificate_numbers')",
            transaction: unitOfWork.Transaction, cancellationToken: cancellationToken));
        var number = CertificateRules.Number(result.CycleStart, sequence);
        var id = Guid.CreateVersion7(now);
        // Two evaluations of the same teacher at once (two replicas, a bulk run beside the evaluator): the one valid
        // certificate per teacher and cycle is the database's to keep, and the second simply issues nothing.
        var inserted = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into certificates (id, number, teacher_id, teacher_name, school_path, cycle_start, cycle_end, total_hours, issued_at,
                                      policy_code, policy_version)
            select @Id, @Number, t.id, t.name, t.school_path, @CycleStart, @CycleEnd,
                   (select coalesce(sum(hours), 0) from ledger_entries where teacher_id = t.id and year between @CycleStart and @CycleEnd), @Now,
                   @PolicyCode, @PolicyVersion
            from teachers t where t.id = @TeacherId
            on conflict (teacher_id, cycle_start) where revoked_at is null do nothing
            """, new
        {
            Id = id, Number = number, TeacherId = teacherId, result.CycleStart, result.CycleEnd, Now = now, PolicyCode = policy.Code,
            PolicyVersion = policy.Version,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            return;
        }
        await CountAsync(unitOfWork, teacherId, result.CycleStart, +1, cancellationToken);
        await unitOfWork.PublishAsync(new CertificateIssued(id, number, teacherId, result.CycleStart, result.CycleEnd, now, policy.Code, policy.Version),
            cancellationToken);
    }

    private static async Task RevokeAsync(UnitOfWork unitOfWork, HeldCertificate certificate, CertificateReview.Revoke revoke, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
            "update certificates set revoked_at = @Now, revoked_reason = @Reason where id = @Id and revoked_at is null",
            new { certificate.Id, Now = now, revoke.Reason }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        await CountAsync(unitOfWork, certificate.TeacherId, certificate.CycleStart, -1, cancellationToken);
        await unitOfWork.PublishAsync(new CertificateRevoked(certificate.Id, certificate.Number, certificate.TeacherId, revoke.Reason, now,
            revoke.CorrectionEntryId), cancellationToken);
    }

    // The school roll-up counts valid certificates, under the school the certificate was issued at.
    private static Task CountAsync(UnitOfWork unitOfWork, Guid teacherId, int cycle, int sign, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into school_rollups as r (school_path, cycle_start, certificates)
            select school_path, @Cycle, @Sign from certificates where teacher_id = @TeacherId and cycle_start = @Cycle order by issued_at desc limit 1
            on conflict (school_path, cycle_start) do update set certificates = r.certificates + excluded.certificates
            """, new { TeacherId = teacherId, Cycle = cycle, Sign = sign }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    private const string SelectSql = """
        select c.id, c.number, c.teacher_id, c.teacher_name, c.school_path, c.cycle_start, c.cycle_end, c.total_hours, c.issued_at, c.revoked_at,
               c.revoked_reason, c.policy_code, c.policy_version, v.name as policy_name
        from certificates c left join credit_policy_versions v on v.code = c.policy_code and v.version = c.policy_version
        """;

    /// <summary>A teacher's certificates, the newest first.</summary>
    public static async Task<IReadOnlyList<CertificateRow>> OfTeacherAsync(NpgsqlConnection connection, Guid? teacherId, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<CertificateRow>(new CommandDefinition(SelectSql + " where teacher_id = @Id order by issued_at desc",
            new { Id = teacherId }, cancellationToken: cancellationToken))];

    public static Task<CertificateRow?> ByNumberAsync(NpgsqlConnection connection, string number, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<CertificateRow>(new CommandDefinition(SelectSql + " where number = @Number",
            new { Number = number }, cancellationToken: cancellationToken));

    /// <summary>The valid certificates under <paramref name="root"/>, by school and name: what a bulk job prints.</summary>
    public static async Task<IReadOnlyList<CertificateRow>> ValidUnderAsync(NpgsqlConnection connection, string root, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<CertificateRow>(new CommandDefinition($"""
            select id, number, teacher_id, teacher_name, school_path, cycle_start, cycle_end, total_hours, issued_at, revoked_at, revoked_reason
            from certificates where revoked_at is null and {PlatformUser.ScopeSql("school_path")} order by school_path, teacher_name
            """, PlatformUser.ScopeParametersFor(root), cancellationToken: cancellationToken))];

    public static Task<long> CountValidUnderAsync(NpgsqlConnection connection, string root, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"select count(*) from certificates where revoked_at is null and {PlatformUser.ScopeSql("school_path")}",
            PlatformUser.ScopeParametersFor(root), cancellationToken: cancellationToken));

    /// <summary>The in-post teachers under <paramref name="root"/>: those a bulk job evaluates.</summary>
    public static async Task<IReadOnlyList<Guid>> InPostTeachersUnderAsync(NpgsqlConnection connection, string root, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<Guid>(new CommandDefinition(
            $"select id from teachers where in_post and {PlatformUser.ScopeSql("school_path")} order by id",
            PlatformUser.ScopeParametersFor(root), cancellationToken: cancellationToken))];

    public static Task QueueJobAsync(NpgsqlConnection connection, Guid id, string root, string by, DateTimeOffset now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into certificate_jobs (id, scope_path, requested_by, status, created_at) values (@Id, @Root, @By, 'queued', @Now)
            """, new { Id = id, Root = root, By = by, Now = now }, cancellationToken: cancellationToken));

    public static Task<CertificateJobView?> JobAsync(NpgsqlConnection connection, Guid id, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<CertificateJobView>(new CommandDefinition("""
            select id, scope_path, requested_by, status, total, done, issued, certificates, error, created_at, finished_at from certificate_jobs where id = @Id
            """, new { Id = id }, cancellationToken: cancellationToken));

    /// <summary>The printable file a finished job made.</summary>
    public static Task<byte[]?> JobContentAsync(NpgsqlConnection connection, Guid id, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<byte[]?>(new CommandDefinition("select content from certificate_jobs where id = @Id",
            new { Id = id }, cancellationToken: cancellationToken));

    /// <summary>Takes the oldest queued job, unless another replica is taking it; its id is empty when there is none.</summary>
    public static Task<(Guid Id, string ScopePath)> ClaimJobAsync(UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.QuerySingleOrDefaultAsync<(Guid, string)>(new CommandDefinition("""
            update certificate_jobs set status = 'running'
            where id = (select id from certificate_jobs where status = 'queued' order by created_at limit 1 for update skip locked)
            returning id, scope_path
            """, transaction: unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task FailJobAsync(NpgsqlConnection connection, Guid id, string error, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("update certificate_jobs set status = 'failed', error = @Error, finished_at = now() where id = @Id",
            new { Id = id, Error = error }, cancellationToken: cancellationToken));

    public static Task SetJobTotalAsync(NpgsqlConnection connection, Guid id, int total, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("update certificate_jobs set total = @Total where id = @Id",
            new { Id = id, Total = total }, cancellationToken: cancellationToken));

    public static Task AddJobDoneAsync(UnitOfWork unitOfWork, Guid id, int count, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("update certificate_jobs set done = done + @Count where id = @Id",
            new { Id = id, Count = count }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task FinishJobAsync(NpgsqlConnection connection, Guid id, byte[] content, int certificates, long issued,
        CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            update certificate_jobs set status = 'succeeded', content = @Content, certificates = @Certificates, issued = @Issued, finished_at = now()
            where id = @Id
            """, new { Id = id, Content = content, Certificates = certificates, Issued = issued }, cancellationToken: cancellationToken));
}
