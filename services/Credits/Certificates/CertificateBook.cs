using System.Globalization;
using Dapper;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Credits;
using TrainingPlatform.Services.Credits.Compliance;

namespace TrainingPlatform.Services.Credits.Certificates;

/// <summary>Issues a cycle's certificate once when every rule is met, and revokes it when a correction breaks that.</summary>
public static class CertificateBook
{
    public static async Task SettleAsync(UnitOfWork unitOfWork, Guid teacherId, ComplianceResult result, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var active = await unitOfWork.Connection.QuerySingleOrDefaultAsync<(Guid Id, string Number)?>(new CommandDefinition(
            "select id, number from certificates where teacher_id = @TeacherId and cycle_start = @Cycle and revoked_at is null for update",
            new { TeacherId = teacherId, Cycle = result.CycleStart }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (result.CertificateEligible && active is null)
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
        else if (!result.CertificateEligible && active is { } certificate)
        {
            var reason = $"学时记录更正后不再满足周期要求：{result.Summary}";
            await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
                "update certificates set revoked_at = @Now, revoked_reason = @Reason where id = @Id",
                new { certificate.Id, Now = now, Reason = reason }, unitOfWork.Transaction, cancellationToken: cancellationToken));
            await CountAsync(unitOfWork, teacherId, result.CycleStart, -1, cancellationToken);
            await unitOfWork.PublishAsync(new CertificateRevoked(certificate.Id, certificate.Number, teacherId, reason, now), cancellationToken);
        }
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
