using Dapper;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Directory.Accounts;
using TrainingPlatform.Services.Directory.Organisations;
using TrainingPlatform.Services.Directory.Teachers;

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
/// A small province a newcomer can try, created once on an empty database: Shandong → Binzhou → Bincheng district,
/// three schools, a district admin, a school admin and five teachers. Everything goes through the same code and
/// outbox as real registrations, so the other services receive it as events.
/// </summary>
internal sealed partial class DemoData(
    IConfiguration configuration,
    NpgsqlDataSource db,
    TeacherStore teachers,
    IPasswordHasher<AccountRow> hasher,
    TimeProvider clock,
    ILogger<DemoData> logger) : IHostedService
{
    private const long SeedLockKey = 0x6465_6d6f; // "demo"

    private static readonly RegisterOrganisation[] Organisations =
    [
        new("37", "山东省", OrganisationKinds.Province, null, null),
        new("3716", "滨州市", OrganisationKinds.City, "37", null),
        new("371602", "滨城区", OrganisationKinds.County, "3716", null),
        new("371602001", "滨城区第一中学", OrganisationKinds.School, "371602", [Stages.Junior, Stages.Senior]),
        new("371602002", "滨城区实验小学", OrganisationKinds.School, "371602", [Stages.Primary]),
        new("371602003", "滨城区第一幼儿园", OrganisationKinds.School, "371602", [Stages.Kindergarten]),
    ];

    private static readonly TeacherInput[] Teachers =
    [
        new("371602198503120028", "王丽", "371602001", Stages.Senior, "语文", new DateOnly(2008, 9, 1), true, true, "一级教师", Tiers.Backbone, true),
        new("371602199007180034", "李强", "371602001", Stages.Junior, "数学", new DateOnly(2013, 9, 1), true, false, "二级教师", Tiers.Rising, true),
        new("371602199301250048", "张敏", "371602002", Stages.Primary, "英语", new DateOnly(2016, 9, 1), false, true, "二级教师", Tiers.Rising, true),
        new("371602198809090052", "刘洋", "371602002", Stages.Primary, "科学", new DateOnly(2024, 9, 1), false, false, null, Tiers.NewTeacher, true),
        new("371602199506010064", "陈静", "371602003", Stages.Kindergarten, "幼儿园教师", new DateOnly(2018, 9, 1), true, false, "二级教师", Tiers.NewTeacher, true),
    ];

    private static readonly (string Login, string Name, string Role, string OrganisationCode)[] Staff =
    [
        ("bincheng-admin", "滨城区教师发展中心", Roles.DistrictAdmin, "371602"),
        ("school-371602001", "滨城区第一中学教导处", Roles.SchoolAdmin, "371602001"),
    ];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = configuration.GetSection(DemoOptions.SectionName).Get<DemoOptions>() ?? new DemoOptions();
        if (!options.Seed || string.IsNullOrEmpty(options.Password))
        {
            return;
        }

        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        // Replicas starting together: one seeds, the others wait and then find the tree there.
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(@Key)",
            new { Key = SeedLockKey }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (await unitOfWork.Connection.ExecuteScalarAsync<bool>(new CommandDefinition("select exists (select 1 from organisations)",
                transaction: unitOfWork.Transaction, cancellationToken: cancellationToken)))
        {
            return;
        }

        foreach (var organisation in Organisations)
        {
            var (_, problem) = await OrganisationStore.RegisterAsync(unitOfWork, organisation, clock.GetUtcNow(), cancellationToken);
            if (problem is not null)
            {
                throw new InvalidOperationException($"Demo organisation {organisation.Code} was refused");
            }
        }
        foreach (var input in Teachers)
        {
            NationalId.TryParse(input.NationalId, DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime), out var id, out _);
            var school = await TeacherStore.FindSchoolAsync(unitOfWork, input.SchoolCode!, cancellationToken);
            await teachers.RegisterAsync(unitOfWork, input, id!, school!, cancellationToken);
        }
        foreach (var (login, name, role, organisationCode) in Staff)
        {
            await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
                insert into accounts (id, login, display_name, role, organisation_id, password_hash, must_change_password)
                select @Id, @Login, @Name, @Role, id, '', false from organisations where code = @OrganisationCode
                """, new { Id = Guid.CreateVersion7(), Login = AccountRow.NormaliseLogin(login), Name = name, Role = role, OrganisationCode = organisationCode },
                unitOfWork.Transaction, cancellationToken: cancellationToken));
        }
        // Demo accounts share the AppHost's password and skip the first-sign-in change, so they can be tried at once.
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
            "update accounts set password_hash = @Hash, must_change_password = false where role <> @Operator",
            new { Hash = hasher.HashPassword(new AccountRow(), options.Password), Operator = Roles.PlatformOperator },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
        await unitOfWork.CommitAsync(cancellationToken);
        LogSeeded(Organisations.Length, Teachers.Length, Staff.Length);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo data created: {Organisations} organisations, {Teachers} teachers, {Staff} staff accounts")]
    private partial void LogSeeded(int organisations, int teachers, int staff);
}
