using System.Globalization;
using Dapper;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Credits;
using TrainingPlatform.Services.Credits.Compliance;
using TrainingPlatform.Services.Credits.Policies;

namespace TrainingPlatform.Services.Credits.Certificates;

/// <summary>
/// Issues a cycle's certificate once when every rule of the active policy is met, and revokes it only when a
/// correction of the records breaks it under the policy it was issued under (see <see cref="CertificateRules"/>).
/// </summary>
public static class CertificateBook
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
        var number = Number(result.CycleStart, sequence);
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

    /// <summary>继续教育合格证 numbers: the cycle and a province-wide sequence, e.g. JXJY-2026-00000042.</summary>
    public static string Number(int cycleStart, long sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"JXJY-{cycleStart}-{sequence:D8}");

    /// <summary>A name as shown to anyone verifying a number: the surname, the rest hidden (张**).</summary>
    public static string MaskName(string name) => name.Length <= 1 ? name : name[0] + new string('*', name.Length - 1);
}
