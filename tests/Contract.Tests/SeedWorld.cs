using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Tests;
using TrainingPlatform.TestSupport;

namespace TrainingPlatform.Contract.Tests;

/// <summary>
/// A small world every service under test learns the way it would in production, from the messages of Directory
/// and Catalog: a province → city → county → school S1, the teacher whose token the test uses, and this year's program
/// year. So a teacher's own endpoints (<c>/me/…</c>) reach their rules instead of stopping at "no such teacher", and the
/// request generator knows a few real codes and ids (<see cref="Prime"/>).
/// </summary>
public static class SeedWorld
{
    public const string SchoolPath = "37/3716/371602/S1";

    public static readonly Guid TeacherId = Guid.Parse("3b0a19a2-5c1e-4f7e-9d2b-19c0ffee0019");

    public static readonly int Year = DateTime.UtcNow.Year;

    public static string YearCode => Year.ToString(CultureInfo.InvariantCulture);

    private static readonly (string Code, string Kind, string Path, string[] Stages)[] Tree =
    [
        ("37", OrganisationKinds.Province, "37", []),
        ("3716", OrganisationKinds.City, "37/3716", []),
        ("371602", OrganisationKinds.County, "37/3716/371602", []),
        ("S1", OrganisationKinds.School, SchoolPath, [Stages.Primary]),
    ];

    /// <summary>
    /// Publishes the world to the service and waits until each of its consumers of each message has taken it (every
    /// consumer records the message in its inbox in the same transaction as its effect).
    /// </summary>
    public static async Task PublishAsync(IServiceUnderTest host, Assembly serviceAssembly)
    {
        var bus = host.Services.GetRequiredService<IBus>();
        var now = DateTimeOffset.UtcNow;
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var expected = new Dictionary<Guid, int>();

        async Task Send<T>(T message) where T : class
        {
            var consumers = serviceAssembly.GetTypes().Count(t => t is { IsAbstract: false, IsClass: true } && typeof(IConsumer<T>).IsAssignableFrom(t));
            if (consumers == 0)
            {
                return;
            }
            var id = Guid.NewGuid();
            await bus.Publish(message, context => context.MessageId = id);
            expected[id] = consumers;
        }

        foreach (var (code, kind, path, stages) in Tree)
        {
            var parent = Tree.FirstOrDefault(t => path == t.Path + "/" + code);
            await Send(new OrganisationRegistered(IdOf(code), code, code + "名称", kind, parent.Code is null ? null : IdOf(parent.Code), stages, now, path));
        }
        await Send(new TeacherProfileChanged(TeacherId, 1, "110101199003074514", "契约测试教师", new DateOnly(1990, 3, 7), "female", IdOf("S1"), SchoolPath,
            Stages.Primary, "语文", new DateOnly(2015, 9, 1), true, false, null, Tiers.Rising, true, TeacherChanges.Registered, now));
        await Send(new ProgramYearScheduled(IdOf("year" + YearCode), YearCode, $"{YearCode}年度", 36, 14,
            // Topic and course selection open, study not yet started: the windows most operations have rules for.
            new ProgramYearWindows(today.AddDays(30), today.AddDays(-10), today.AddDays(20), today.AddDays(-5), today.AddDays(10),
                today.AddDays(120), today.AddDays(200)), 1, now));
        if (expected.Count == 0)
        {
            return;
        }

        var db = host.Services.GetRequiredService<NpgsqlDataSource>();
        await Eventually.HoldsAsync(async () =>
        {
            await using var connection = await db.OpenConnectionAsync();
            await using var count = new NpgsqlCommand(
                "select message_id, count(*)::int from inbox_messages where message_id = any(@ids) group by message_id", connection);
            count.Parameters.AddWithValue("ids", expected.Keys.ToArray());
            await using var reader = await count.ExecuteReaderAsync();
            var taken = 0;
            while (await reader.ReadAsync())
            {
                taken += reader.GetInt32(1) >= expected[reader.GetGuid(0)] ? 1 : 0;
            }
            return taken == expected.Count;
        }, TimeSpan.FromSeconds(60), "the seeded organisations, teacher and program year to reach the service");
    }

    /// <summary>The world's codes and ids, under the names the documents give the parameters and members that hold them.</summary>
    public static void Prime(ValuePool pool)
    {
        foreach (var name in new[] { "school", "schoolCode", "organisation", "organisationCode", "code" })
        {
            pool.Add(name, "S1");
        }
        foreach (var name in new[] { "under", "code", "organisation" })
        {
            pool.Add(name, "371602");
        }
        foreach (var name in new[] { "year", "programYear", "code" })
        {
            pool.Add(name, YearCode);
        }
        foreach (var name in new[] { "teacherId", "teacher", "menteeId", "mentorId" })
        {
            pool.Add(name, TeacherId.ToString());
        }
        foreach (var name in new[] { "year", "cycle", "firstCycleYear" })
        {
            pool.Add(name, Year);
        }
    }

    private static Guid IdOf(string code) => new(MD5.HashData(Encoding.UTF8.GetBytes("contract-test:" + code)));
}
