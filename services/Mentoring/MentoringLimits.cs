namespace TrainingPlatform.Services.Mentoring;

/// <summary>Lengths of free text shared by several features: one number for the rule that refuses more and the document that says so.</summary>
public static class MentoringLimits
{
    /// <summary>A reason (for a cross-subject appointment or pairing, for ending one early, for a refusal).</summary>
    public const int ReasonLength = 500;

    /// <summary>A title or name people read in lists (a studio, a post, an activity).</summary>
    public const int TitleLength = 100;
}
