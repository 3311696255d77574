using System.Text.Json;
using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;

namespace TrainingPlatform.Services.Credits.Policies;

/// <summary>Policies as rows whose rules are JSON; the presets are written on first start.</summary>
public static class PolicyStore
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record PolicyRow
    {
        public string Code { get; init; } = "";
        public string Name { get; init; } = "";
        public int CycleYears { get; init; }
        public int FirstCycleYear { get; init; }
        public string Rules { get; init; } = "[]";
        public bool Active { get; init; }
        public int Version { get; init; }
    }

    public sealed record StoredPolicy(CreditPolicy Policy, bool Active, int Version);

    private const string SelectSql = "select code, name, cycle_years, first_cycle_year, rules::text as rules, active, version from credit_policies";

    /// <summary>The active policy; the first preset when none was picked yet.</summary>
    public static async Task<CreditPolicy> ActiveAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<PolicyRow>(new CommandDefinition(SelectSql + " where active", transaction: transaction,
            cancellationToken: cancellationToken));
        return row is null ? PolicyPresets.All[^1] : ToPolicy(row);
    }

    public static async Task<IReadOnlyList<StoredPolicy>> ListAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        [.. (await connection.QueryAsync<PolicyRow>(new CommandDefinition(SelectSql + " order by code", cancellationToken: cancellationToken)))
            .Select(r => new StoredPolicy(ToPolicy(r), r.Active, r.Version))];

    public static async Task<StoredPolicy?> FindAsync(NpgsqlConnection connection, string code, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<PolicyRow>(new CommandDefinition(SelectSql + " where code = @Code for update",
            new { Code = code }, transaction, cancellationToken: cancellationToken));
        return row is null ? null : new StoredPolicy(ToPolicy(row), row.Active, row.Version);
    }

    /// <summary>Saves the policy as its next version, and keeps that version as it is for the certificates issued under it.</summary>
    public static async Task<CreditPolicy> SaveAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CreditPolicy policy, string by,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var version = await connection.ExecuteScalarAsync<int>(new CommandDefinition("""
            insert into credit_policies (code, name, cycle_years, first_cycle_year, rules, version, updated_by, updated_at)
            values (@Code, @Name, @CycleYears, @FirstCycleYear, @Rules::jsonb, 1, @By, @Now)
            on conflict (code) do update
            set name = excluded.name, cycle_years = excluded.cycle_years, first_cycle_year = excluded.first_cycle_year, rules = excluded.rules,
                version = credit_policies.version + 1, updated_by = excluded.updated_by, updated_at = excluded.updated_at
            returning version
            """, new { policy.Code, policy.Name, policy.CycleYears, policy.FirstCycleYear, Rules = JsonSerializer.Serialize(policy.Rules, Json), By = by, Now = now },
            transaction, cancellationToken: cancellationToken));
        await KeepVersionsAsync(connection, transaction, policy.Code, cancellationToken);
        return policy with { Version = version };
    }

    private static Task KeepVersionsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string? code, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into credit_policy_versions (code, version, name, cycle_years, first_cycle_year, rules, recorded_at)
            select code, version, name, cycle_years, first_cycle_year, rules, updated_at from credit_policies where @Code::text is null or code = @Code
            on conflict (code, version) do nothing
            """, new { Code = code }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Policies as they were at the given versions (those a set of certificates were issued under). A version the
    /// store does not hold is left out.
    /// </summary>
    public static async Task<IReadOnlyDictionary<(string Code, int Version), CreditPolicy>> VersionsAsync(NpgsqlConnection connection,
        NpgsqlTransaction? transaction, IReadOnlyCollection<(string Code, int Version)> keys, CancellationToken cancellationToken) =>
        keys.Count == 0 ? new Dictionary<(string, int), CreditPolicy>() : (await connection.QueryAsync<PolicyRow>(new CommandDefinition("""
            select v.code, v.name, v.cycle_years, v.first_cycle_year, v.rules::text as rules, false as active, v.version
            from credit_policy_versions v join unnest(@Codes, @Versions) as k (code, version) using (code, version)
            """, new { Codes = keys.Select(k => k.Code).ToArray(), Versions = keys.Select(k => k.Version).ToArray() }, transaction,
            cancellationToken: cancellationToken))).ToDictionary(r => (r.Code, r.Version), ToPolicy);

    /// <summary>Makes <paramref name="code"/> the one active policy.</summary>
    public static Task ActivateAsync(UnitOfWork unitOfWork, string code, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            update credit_policies set active = false where active and code <> @Code;
            update credit_policies set active = true where code = @Code;
            """, new { Code = code }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>Marks every teacher for evaluation again (the policy in force changed); says how many.</summary>
    public static Task<int> MarkEveryoneAsync(UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into compliance_dirty (teacher_id, marked_at) select id, now() from teachers
            on conflict (teacher_id) do update set marked_at = excluded.marked_at
            """, transaction: unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>Writes the presets that are missing (an operator's edits to a preset are kept).</summary>
    public static async Task SeedPresetsAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        foreach (var preset in PolicyPresets.All)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                insert into credit_policies (code, name, cycle_years, first_cycle_year, rules, active, version, updated_by, updated_at)
                values (@Code, @Name, @CycleYears, @FirstCycleYear, @Rules::jsonb, @Active, 1, 'preset', now())
                on conflict (code) do nothing
                """, new
            {
                preset.Code, preset.Name, preset.CycleYears, preset.FirstCycleYear, Rules = JsonSerializer.Serialize(preset.Rules, Json),
                // The platform's own province (seed 004, Shandong) is active until an operator picks another.
                Active = preset.Code == "seed-004",
            }, cancellationToken: cancellationToken));
        }
        await KeepVersionsAsync(connection, null, null, cancellationToken);
    }

    private static CreditPolicy ToPolicy(PolicyRow row) =>
        new(row.Code, row.Name, row.CycleYears, row.FirstCycleYear, JsonSerializer.Deserialize<List<CreditRule>>(row.Rules, Json) ?? [], row.Version);
}
