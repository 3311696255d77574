namespace TrainingPlatform.Contracts.Reference;

/// <summary>
/// The five-year cycle (周期) a program year belongs to. Cycles are counted from a province's first cycle year, so
/// 2026–2030, 2031–2035 … when the first is 2026. Length and first year are settings; the seeds use five years.
/// </summary>
public static class CreditCycles
{
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
