using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Mentoring.Assignment;

namespace TrainingPlatform.Services.Mentoring;

/// <summary>Settings under <c>Mentoring</c>. Every number the seeds give is a setting here, with the seeds' value as default.</summary>
public sealed class MentoringOptions
{
    public const string SectionName = "Mentoring";

    /// <summary>About how many teachers a study group has (seeds: about 10).</summary>
    public int GroupSize { get; set; } = 10;

    /// <summary>A school subject with fewer in-post teachers than this joins the county's cross-school groups.</summary>
    public int MinTeachersForSchoolGroup { get; set; } = 5;

    /// <summary>Study groups per guide teacher (seeds: about 1 guide : 5 groups).</summary>
    public int GroupsPerGuide { get; set; } = 5;

    /// <summary>How far a guide may be from a group: 0 same school, 1 same county, 2 same city, 3 anywhere.</summary>
    public int GuideMaxDistance { get; set; } = OrganisationDistance.SameCity;

    /// <summary>Mentees per mentor unless the school says otherwise.</summary>
    public int MentorCapacity { get; set; } = 3;

    /// <summary>A teacher hired within this many years counts as new (seeds: the first three years).</summary>
    public int NewTeacherYears { get; set; } = Tiers.NewTeacherYears;

    /// <summary>How long a pairing lasts.</summary>
    public int PairingYears { get; set; } = 3;

    public int MentorMaxDistance { get; set; } = OrganisationDistance.SameCity;

    /// <summary>How long a backbone teacher's support of a weak school (对口帮扶) lasts unless the bureau says otherwise.</summary>
    public int SupportYears { get; set; } = 1;

    /// <summary>The most credit hours one logged mentoring activity may claim (a working day); the school confirms what it was.</summary>
    public decimal MaxActivityHours { get; set; } = 8;

    /// <summary>The most credit hours one person may log for one day, across all their mentoring activities (pending and confirmed).</summary>
    public decimal MaxActivityHoursPerDay { get; set; } = 8;

    /// <summary>Cost of one step of distance in the assignment; see <see cref="AssignmentSettings"/>.</summary>
    public int DistanceWeight { get; set; } = 10;

    /// <summary>Cost of the k-th client of one server: (k − 1) × this.</summary>
    public int LoadWeight { get; set; } = 1;
}
