using System.Data;
using Dapper;

namespace TrainingPlatform.BuildingBlocks.Persistence;

/// <summary>
/// Npgsql reads timestamptz as a UTC DateTime; our records speak DateTimeOffset. Registered once per process.
/// </summary>
internal sealed class DateTimeOffsetHandler : SqlMapper.TypeHandler<DateTimeOffset>
{
    public override void SetValue(IDbDataParameter parameter, DateTimeOffset value) => parameter.Value = value.ToUniversalTime();

    public override DateTimeOffset Parse(object value) => value switch
    {
        DateTimeOffset dto => dto,
        DateTime dt => new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)),
        _ => throw new DataException($"Cannot read {value.GetType()} as DateTimeOffset"),
    };
}

/// <summary>PostgreSQL date columns come back as DateTime from a plain read; our records speak DateOnly.</summary>
internal sealed class DateOnlyHandler : SqlMapper.TypeHandler<DateOnly>
{
    public override void SetValue(IDbDataParameter parameter, DateOnly value)
    {
        parameter.DbType = DbType.Date;
        parameter.Value = value;
    }

    public override DateOnly Parse(object value) => value switch
    {
        DateOnly d => d,
        DateTime dt => DateOnly.FromDateTime(dt),
        _ => throw new DataException($"Cannot read {value.GetType()} as DateOnly"),
    };
}

public static class DapperSetup
{
    private static int _configured;

    public static void ConfigureOnce()
    {
        if (Interlocked.Exchange(ref _configured, 1) == 1)
        {
            return;
        }
        // Our tables use snake_case columns; records and classes use PascalCase.
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        SqlMapper.AddTypeHandler(new DateTimeOffsetHandler());
        SqlMapper.AddTypeHandler(new DateOnlyHandler());
    }
}
