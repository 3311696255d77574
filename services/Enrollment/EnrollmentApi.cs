namespace TrainingPlatform.Services.Enrollment;

/// <summary>The Enrollment service: required and elective enrollments, study progress, completion.</summary>
public sealed class EnrollmentApi
{
    private EnrollmentApi()
    {
    }

    public const string ServiceName = "enrollment";
    public const string DatabaseName = "enrollmentdb";
}
