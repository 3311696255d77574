namespace TrainingPlatform.Contracts.Reference;

/// <summary>
/// The five-year cycle (周期) a program year belongs to. Cycles are counted from a province's first cycle year, so
/// 2026–2030, 2031–2035 … when the first is 2026. Length and first year are settings; the seeds use five years.
/// </summary>
public static class CreditCycles
{
    /// <summary>
    /// The years a cycle may be asked for in, and a credit or a window dated in. With a policy's first cycle year
    /// inside them and cycles of at most ten years, every cycle they touch has its 1 January and 31 December as dates
    /// (DateOnly runs from year 1 to 9999, so cycle 0 or 9999 has none); no teacher studies in a year outside them.
    /// </summary>
    public const int EarliestYear = 2000;

    /// <inheritdoc cref="EarliestYear"/>
    public const int LatestYear = 2100;

    public static bool IsSupported(int year) => year is >= EarliestYear and <= LatestYear;

    public static (int FirstYear, int LastYear) Containing(int year, int firstCycleYear, int length = 5)
    {
        if (length < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(length), "A cycle lasts at least one year.");
        }
        var index = (int)Math.Floor((year - firstCycleYear) / (double)length);
        var first = firstCycleYear + (index * length);
        return (first, first + length - 1);
    }
}
