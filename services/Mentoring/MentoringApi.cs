namespace TrainingPlatform.Services.Mentoring;

/// <summary>The Mentoring service: study groups, guide teachers, workshops, mentors and studios.</summary>
public sealed class MentoringApi
{
    private MentoringApi()
    {
    }

    public const string ServiceName = "mentoring";
    public const string DatabaseName = "mentoringdb";
}
