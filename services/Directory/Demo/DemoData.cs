using Dapper;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Services.Directory.Accounts;
using TrainingPlatform.Services.Directory.Imports;
using TrainingPlatform.Services.Directory.Organisations;

namespace TrainingPlatform.Services.Directory.Demo;

/// <summary>Settings under <c>Demo</c>: the AppHost turns the demo data on for a local run.</summary>
public sealed class DemoOptions
{
    public const string SectionName = "Demo";

    public bool Seed { get; set; }

    /// <summary>The demo accounts' password (the AppHost generates it; never in the repository).</summary>
    public string? Password { get; set; }
}

/// <summary>
/// Creates <see cref="DemoProvince"/> on first start when <c>Demo:Seed</c> is on, through the same code as real
/// data (organisation registration, the teachers import, the outbox), so the other services receive it as events.
/// Each step is skipped when already done, so an interrupted seed completes on the next start.
/// </summary>
internal sealed partial class DemoData(
    IConfiguration configuration,
    NpgsqlDataSource db,
    TeacherImport import,
    IPasswordHasher<AccountRow> hasher,
    TimeProvider clock,
    ILogger<DemoData> logger) : IHostedService
{
    private const long SeedLockKey = 0x6465_6d6f; // "demo"

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = configuration.GetSection(DemoOptions.SectionName).Get<DemoOptions>() ?? new DemoOptions();
        if (!options.Seed || string.IsNullOrEmpty(options.Password))
        {
            return;
        }

        // Replicas starting together: one seeds while holding this lock, the others then find it done.
        await using var lockConnection = await db.OpenConnectionAsync(cancellationToken);
        await lockConnection.ExecuteAsync(new CommandDefinition("select pg_advisory_lock(@SeedLockKey)", new { SeedLockKey }, cancellationToken: cancellationToken));
        try
        {
            var organisations = await SeedOrganisationsAsync(cancellationToken);
            var teachers = await SeedTeachersAsync(cancellationToken);
            var staff = await SeedStaffAsync(options.Password, cancellationToken);
            if (organisations + teachers + staff > 0)
            {
                LogSeeded(organisations, teachers, staff);
            }
        }
        finally
        {
            await lockConnection.ExecuteAsync(new CommandDefinition("select pg_advisory_unlock(@SeedLockKey)", new { SeedLockKey }, cancellationToken: CancellationToken.None));
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task<int> SeedOrganisationsAsync(CancellationToken cancellationToken)
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var created = 0;
        foreach (var organisation in DemoProvince.Organisations())
        {
            var (registered, _) = await OrganisationStore.RegisterAsync(unitOfWork, organisation, clock.GetUtcNow(), cancellationToken);
            created += registered is null ? 0 : 1; // an existing code is left as it is
        }
        await unitOfWork.CommitAsync(cancellationToken);
        return created;
    }

    private async Task<int> SeedTeachersAsync(CancellationToken cancellationToken)
    {
        var demoOperator = new PlatformUser(Guid.Empty, "demo", Roles.PlatformOperator, null, "", null);
        var outcome = await import.RunAsync(DemoProvince.TeachersCsv(ProvinceCalendar.Today(clock)), "demo-teachers.csv", demoOperator, (_, _) => Task.CompletedTask, cancellationToken);
        if (outcome.Errors.Count > 0)
        {
            var first = outcome.Errors[0];
            throw new InvalidOperationException($"Demo teachers were refused: line {first.Line}, {first.Column}: {first.Reason}");
        }
        return outcome.Created;
    }

    private async Task<int> SeedStaffAsync(string password, CancellationToken cancellationToken)
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var created = 0;
        foreach (var (login, name, role, organisationCode) in DemoProvince.Staff())
        {
            created += await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
                insert into accounts (id, login, display_name, role, organisation_id, password_hash, must_change_password)
                select @Id, @Login, @Name, @Role, id, '', false from organisations where code = @OrganisationCode
                on conflict (login) do nothing
                """, new { Id = Guid.CreateVersion7(), Login = AccountRow.NormaliseLogin(login), Name = name, Role = role, OrganisationCode = organisationCode },
                unitOfWork.Transaction, cancellationToken: cancellationToken));
        }
        // Guide accounts are teachers wearing a second hat: tie each to its teacher (see DemoProvince.GuideTeachers).
        foreach (var (login, nationalId, _) in DemoProvince.GuideTeachers(ProvinceCalendar.Today(clock)))
        {
            await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
                update accounts a set teacher_id = t.id from teachers t
                where a.login = @Login and a.teacher_id is null and t.national_id = @NationalId
                """, new { Login = AccountRow.NormaliseLogin(login), NationalId = nationalId }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        }
        // Every demo account without a password gets the AppHost's, hashed once (thousands of PBKDF2 hashes would
        // take minutes), and skips the first-sign-in change so it can be tried at once.
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
            "update accounts set password_hash = @Hash, must_change_password = false where password_hash = '' and role <> @Operator",
            new { Hash = hasher.HashPassword(new AccountRow(), password), Operator = Roles.PlatformOperator },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
        await unitOfWork.CommitAsync(cancellationToken);
        return created;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo data created: {Organisations} organisations, {Teachers} teachers, {Staff} staff accounts")]
    private partial void LogSeeded(int organisations, int teachers, int staff);
}
