using System.Globalization;
using Dapper;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Credits;
using TrainingPlatform.Services.Credits.Compliance;

namespace TrainingPlatform.Services.Credits.Certificates;

/// <summary>Issues a cycle's certificate once when every rule is met, and revokes it when a correction breaks that.</summary>
public static class CertificateBook
{
    /// <summary>
    /// Issues or revokes for many standings: one query finds the valid certificates of them all; only the few whose
    /// eligibility changed do more.
    /// </summary>
    public static async Task SettleAllAsync(UnitOfWork unitOfWork, IReadOnlyList<(Guid TeacherId, ComplianceResult Result)> standings, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var valid = (await unitOfWork.Connection.QueryAsync<(Guid TeacherId, int CycleStart, Guid Id, string Number)>(new CommandDefinition("""
            select c.teacher_id, c.cycle_start, c.id, c.number
            from certificates c join unnest(@Teachers, @Cycles) as k (teacher_id, cycle_start) using (teacher_id, cycle_start)
            where c.revoked_at is null
            order by c.teacher_id, c.cycle_start
            for update of c
            """, new { Teachers = standings.Select(s => s.TeacherId).ToArray(), Cycles = standings.Select(s => s.Result.CycleStart).ToArray() },
            unitOfWork.Transaction, cancellationToken: cancellationToken))).ToDictionary(c => (c.TeacherId, c.CycleStart), c => (c.Id, c.Number));
        foreach (var (teacherId, result) in standings)
        {
            var active = valid.TryGetValue((teacherId, result.CycleStart), out var certificate) ? certificate : ((Guid Id, string Number)?)null;
            if (result.CertificateEligible && active is null)
            {
                await IssueAsync(unitOfWork, teacherId, result, now, cancellationToken);
            }
            else if (!result.CertificateEligible && active is { } revoked)
            {
                await RevokeAsync(unitOfWork, teacherId, result, revoked, now, cancellationToken);
            }
        }
    }

    private static async Task IssueAsync(UnitOfWork unitOfWork, Guid teacherId, ComplianceResult result, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var sequence = await unitOfWork.Connection.ExecuteScalarAsync<long>(new CommandDefinition("select nextval('certificate_numbers')",
            transaction: unitOfWork.Transaction, cancellationToken: cancellationToken));
        var number = Number(result.CycleStart, sequence);
        var id = Guid.CreateVersion7(now);
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into certificates (id, number, teacher_id, teacher_name, school_path, cycle_start, cycle_end, total_hours, issued_at)
            select @Id, @Number, t.id, t.name, t.school_path, @CycleStart, @CycleEnd,
                   (select coalesce(sum(hours), 0) from ledger_entries where teacher_id = t.id and cycle_start = @CycleStart), @Now
            from teachers t where t.id = @TeacherId
            """, new { Id = id, Number = number, TeacherId = teacherId, result.CycleStart, result.CycleEnd, Now = now }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));
        await CountAsync(unitOfWork, teacherId, result.CycleStart, +1, cancellationToken);
        await unitOfWork.PublishAsync(new CertificateIssued(id, number, teacherId, result.CycleStart, result.CycleEnd, now), cancellationToken);
    }

    private static async Task RevokeAsync(UnitOfWork unitOfWork, Guid teacherId, ComplianceResult result, (Guid Id, string Number) certificate,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var reason = $"学时记录更正后不再满足周期要求：{result.Summary}";
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
            "update certificates set revoked_at = @Now, revoked_reason = @Reason where id = @Id",
            new { certificate.Id, Now = now, Reason = reason }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        await CountAsync(unitOfWork, teacherId, result.CycleStart, -1, cancellationToken);
        await unitOfWork.PublishAsync(new CertificateRevoked(certificate.Id, certificate.Number, teacherId, reason, now), cancellationToken);
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
