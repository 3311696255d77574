using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Services.Credits.Copies;
using TrainingPlatform.TestSupport;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// Messages for one Credits instance under test, sent straight to its consumer's queue. A publish reaches every
/// copy of every service the parallel test classes run (each has its own queues), so a teacher, a closed year or a
/// completion published by one test would turn up in another test's database.
/// </summary>
internal static class CreditsDirect
{
    public static async Task SendAsync<TConsumer, TMessage>(IServiceProvider services, TMessage message, Guid? messageId = null)
        where TConsumer : class, IConsumer
        where TMessage : class
    {
        var queue = services.GetRequiredService<IEndpointNameFormatter>().Consumer<TConsumer>();
        var endpoint = await services.GetRequiredService<IBus>().GetSendEndpoint(new Uri($"queue:{queue}"));
        await endpoint.Send(message, context =>
        {
            if (messageId is { } id)
            {
                context.MessageId = id;
            }
        });
    }

    /// <summary>A teacher of <paramref name="school"/> (an organisation path), once Credits has their profile.</summary>
    public static async Task<Guid> TeacherAsync(IServiceProvider services, string school, string name)
    {
        var id = Guid.NewGuid();
        await SendAsync<TeacherProfileChangedCopy, TeacherProfileChanged>(services, new TeacherProfileChanged(id, 1, "371602199001010011", name, new(1990, 1, 1),
            "female", Guid.NewGuid(), school, "primary", "语文", new(2012, 9, 1), true, false, null, "backbone", true, TeacherChanges.Registered,
            DateTimeOffset.UtcNow));
        await ArrivedAsync(services, $"select count(*) from teachers where id = '{id}'", $"teacher {name}");
        return id;
    }

    /// <summary>A program year, once Credits has it.</summary>
    public static async Task ProgramYearAsync(IServiceProvider services, ProgramYearScheduled year)
    {
        await SendAsync<ProgramYearScheduledCopy, ProgramYearScheduled>(services, year);
        await ArrivedAsync(services, $"select count(*) from program_years where id = '{year.ProgramYearId}'", $"program year {year.Code}");
    }

    /// <summary>
    /// This year's program year with registration open for two more months: a closed year that another test class
    /// publishes meanwhile cannot close this instance's registration (the latest deadline of a year counts).
    /// </summary>
    public static Task KeepThisYearOpenAsync(IServiceProvider services, DateOnly today)
    {
        var start = new DateOnly(today.Year, 1, 1);
        return ProgramYearAsync(services, new ProgramYearScheduled(Guid.NewGuid(), $"open-{Guid.NewGuid():N}", "测试年度", 36, 14,
            new ProgramYearWindows(start, start, start, start, start, today.AddDays(30), today.AddDays(60)), 1, DateTimeOffset.UtcNow));
    }

    private static async Task ArrivedAsync(IServiceProvider services, string countSql, string what)
    {
        var db = services.GetRequiredService<NpgsqlDataSource>();
        await Eventually.HoldsAsync(async () =>
        {
            await using var connection = await db.OpenConnectionAsync();
            return await connection.ExecuteScalarAsync<long>(countSql) == 1;
        }, TimeSpan.FromSeconds(90), $"{what} to reach credits");
    }
}
