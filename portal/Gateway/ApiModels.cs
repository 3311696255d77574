using System.Text.Json;
using System.Text.Json.Serialization;

namespace TrainingPlatform.Portal.Gateway;

// The parts of the services' answers the portal shows. The portal owns these shapes (it is a separate deployable):
// a field it does not list is ignored, a missing one takes its default.

// ---- Directory ----

public sealed record IssuedToken(string AccessToken, int ExpiresIn, bool MustChangePassword);

// NationalId is masked (3716**********0028) in every list and page; the full number is a TeacherNationalId, read on request.
public sealed record TeacherSummary(Guid Id, string NationalId, string Name, string SchoolCode, string SchoolName, string Stage, string Subject,
    bool ClassTeacher, bool InPost);

/// <summary>A teacher's full ID number, read by an administrator on an explicit request that Directory audits.</summary>
public sealed record TeacherNationalId(Guid TeacherId, string NationalId);

public sealed record Organisation(Guid Id, string Code, string Name, string Kind, string Path, string[] Stages);

public sealed record ImportAccepted(Guid Id, string Status);

public sealed record ImportRowError(int Line, string? Column, string Reason);

public sealed record ImportJob(Guid Id, string FileName, string Status, int? TotalRows, int RowsDone, int Created, int Updated, int Unchanged,
    IReadOnlyList<ImportRowError> Errors, int ErrorCount, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt)
{
    public bool Finished => FinishedAt is not null || Status is "succeeded" or "failed";
}

// ---- Catalog ----

public sealed record ProgramYear(Guid Id, string Code, string Name, decimal MinAnnualHours, decimal MinElectiveHours, DateOnly GroupListsDue,
    DateOnly TopicSelectionOpens, DateOnly TopicSelectionCloses, DateOnly CourseSelectionOpens, DateOnly StudyStarts, DateOnly RequiredStudyEnds,
    DateOnly CreditRegistrationCloses, int Version);

public sealed record Topic(Guid Id, string Code, string Name, string Description, string[] Stages, int CourseCount, decimal TotalHours);

public sealed record SelectionWindow(string Window, DateOnly OpensOn, DateOnly ClosesOn, string Source, string? Reason);

public sealed record ChosenTopic(Guid Id, string Code, string Name, int CourseCount, decimal TotalHours);

public sealed record SchoolTopics(string ProgramYear, string SchoolCode, string SchoolName, string Status, IReadOnlyList<ChosenTopic> Topics,
    int Version, DateTimeOffset? ChosenAt, DateTimeOffset? ChangedAt, SelectionWindow Window, DateOnly StudyStarts, bool CanChoose, string? WhyNot);

public sealed record CourseSummary(Guid Id, string Code, string Title, string Summary, decimal Hours, string Category, string Mode, string Level,
    string[] Stages, string[] Topics);

public sealed record CoursePage(long Total, int Page, int PageSize, IReadOnlyList<CourseSummary> Items);

public sealed record SchoolChoice(string Code, string Name, string Path, string Status, int TopicCount, DateTimeOffset? ChangedAt);

public sealed record TopicChoices(string ProgramYear, bool Frozen, int Pending, int Chosen, IReadOnlyList<SchoolChoice> Schools);

public sealed record GroupListSubmission(string Code, string Name, string Path, int Groups, string? SubmittedBy, DateTimeOffset? SubmittedAt, string Status,
    string StatusName);

public sealed record GroupListProgress(string ProgramYear, DateOnly Due, int Submitted, int Pending, int Late, IReadOnlyList<GroupListSubmission> Schools);

// ---- Enrollment ----

public sealed record ElectiveSummary(decimal ElectiveHoursChosen, decimal MinElectiveHours, decimal ShortBy, string Message);

public sealed record EnrolledCourse(Guid EnrollmentId, Guid CourseId, string Title, decimal Hours, string Category, string Mode, string Kind, string Status,
    int MinutesStudied, decimal Percent, bool TestPassed, bool AssignmentHandedIn, DateTimeOffset? CompletedAt);

public sealed record YearHeading(string Code, string Name, decimal MinAnnualHours, decimal MinElectiveHours);

public sealed record CourseSelection(DateOnly OpensOn, DateOnly ClosesOn, bool Open, bool Frozen);

public sealed record Deadlines(DateOnly StudyStarts, DateOnly RequiredStudyEnds, DateOnly CreditRegistrationCloses);

public sealed record MyYearView(YearHeading ProgramYear, DateOnly Today, CourseSelection CourseSelection, Deadlines Deadlines, decimal RequiredHours,
    ElectiveSummary Electives, decimal HoursPlanned, decimal HoursDone, bool OptedOut, IReadOnlyList<string> Messages,
    IReadOnlyList<EnrolledCourse> Required, IReadOnlyList<EnrolledCourse> ElectiveCourses);

public sealed record OptOutRecord(Guid TeacherId, string Name, string StatementReference, string Reason, DateTimeOffset RecordedAt);

// ---- Credits ----

public sealed record LedgerLine(Guid Id, decimal Hours, string Category, string CategoryName, string Mode, string Level, string SourceName, string Title,
    int Year, int CycleStart, bool Reversed, Guid? ReversesId, string? Reason, DateTimeOffset PostedAt);

public sealed record NotCounted(string Title, decimal Hours, string Reason, DateTimeOffset RefusedAt);

public sealed record TranscriptView(Guid TeacherId, string Name, decimal TotalHours, IReadOnlyList<LedgerLine> Entries, IReadOnlyList<NotCounted> NotCounted);

public sealed record ComplianceRule(string Key, string Label, string Period, int? Year, decimal Required, decimal Earned, decimal Needed, string Status,
    string StatusName, string Explanation);

public sealed record Compliance(int CycleStart, int CycleEnd, string Overall, string OverallName, string Summary, bool CertificateEligible,
    IReadOnlyList<ComplianceRule> Rules);

public sealed record CreditApplication(Guid Id, Guid TeacherId, string TeacherName, string SchoolPath, string Title, string Description, decimal Hours,
    string Category, string Mode, string Level, string Source, DateOnly OccurredOn, string AttachmentRef, string Status, DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public sealed record ApplicationStep(string Step, string Decision, string? Reason, string Actor, string ActorRole, DateTimeOffset DecidedAt);

public sealed record ApplicationView(CreditApplication Application, string StatusName, string? WaitingFor, IReadOnlyList<ApplicationStep> Steps);

public sealed record Certificate(Guid Id, string Number, string TeacherName, int CycleStart, int CycleEnd, decimal TotalHours, DateTimeOffset IssuedAt,
    DateTimeOffset? RevokedAt, string? RevokedReason, string? PolicyCode = null, int? PolicyVersion = null, string? PolicyName = null);

public sealed record CertificateCheck(string Number, string Holder, string Cycle, decimal TotalHours, DateTimeOffset IssuedAt, bool Valid, string Status,
    string? RevokedReason, string? PolicyName = null);

public sealed record SchoolBasedPosted(int Posted, int AlreadyPosted);

// ---- Progress views (Enrollment: the year's study; Credits: the five-year cycle) ----

public sealed record ReportUnit(string Code, string Name, string Kind, string Path);

public sealed record TeacherProgress(Guid TeacherId, string Name, string SchoolCode, string SchoolName, string Stage, string Subject, decimal RequiredHours,
    decimal ElectiveHours, decimal HoursDone, decimal PercentOfMinimum, bool OptedOut, string Status, string Reason);

public sealed record TeacherProgressPage(string Year, ReportUnit? Under, DateOnly AsOf, string Filter, int PageSize, long Total,
    IReadOnlyList<TeacherProgress> Items, string? Next);

public sealed record ProgressUnit(string? Path, string? Code, string? Name, string? Kind, int Teachers, int Completed, int OnTrack, int Behind,
    int NotStarted, int OptedOut, decimal AverageHours, decimal CompletionRate)
{
    /// <summary>The count of one progress status, by the status code the report's members stand for.</summary>
    public int Count(string status) => status switch
    {
        "completed" => Completed,
        "on_track" => OnTrack,
        "behind" => Behind,
        "not_started" => NotStarted,
        "opted_out" => OptedOut,
        _ => 0,
    };
}

public sealed record ProgressReport(string Year, ReportUnit? Under, DateOnly AsOf, decimal ExpectedHours, ProgressUnit Total,
    IReadOnlyList<ProgressUnit> Groups);

public sealed record StandingUnit(string Unit, long Teachers, long Met, long OnTrack, long AtRisk, long NotMet, long NotStarted, long Certificates,
    decimal AverageHours)
{
    /// <summary>The count of one standing (or of no hours yet), by the code the roll-up's members stand for.</summary>
    public long Count(string standing) => standing switch
    {
        "met" => Met,
        "on_track" => OnTrack,
        "at_risk" => AtRisk,
        "not_met" => NotMet,
        "not_started" => NotStarted,
        _ => 0,
    };
}

public sealed record StandingRollup(int CycleStart, string Under, IReadOnlyList<StandingUnit> Units);

public sealed record StandingLine(Guid TeacherId, string Name, string SchoolPath, string Stage, string Subject, decimal Hours, string Overall, string Summary,
    string? CertificateNumber);

public sealed record StandingList(int CycleStart, IReadOnlyList<StandingLine> Teachers);

/// <summary>A file an API answered (an XLSX export): its bytes, name and type.</summary>
public sealed record ApiFile(byte[] Content, string FileName, string ContentType);

// ---- Credit policies ----

public sealed record PolicyFilter(string[]? Categories, string[]? Modes, string[]? Levels, string[]? Sources);

public sealed record PolicyRule(string Key, string Label, string Period, decimal MinHours, PolicyFilter? Filter, string AppliesTo);

public sealed record CreditPolicyView(string Code, string Name, int CycleYears, int FirstCycleYear, IReadOnlyList<PolicyRule> Rules, bool Active, int Version);

public sealed record PolicyActivated(string Active, int TeachersToReevaluate);

// ---- Catalogue ----

public sealed record RequiredItem(Guid ItemId, string Title, decimal Hours, Guid[] CourseIds, int DrawCount);

public sealed record RequiredPackage(Guid Id, string Stage, string Subject, decimal TotalHours, int Version, DateTimeOffset DefinedAt,
    IReadOnlyList<RequiredItem> Items);

// ---- Mentoring ----

public sealed record GroupMember(Guid TeacherId, string Name, string SchoolPath, DateOnly HireDate);

public sealed record GroupGuide(Guid GuideId, Guid TeacherId, string Name, string SchoolPath, string Explanation);

public sealed record StudyGroup(Guid Id, string Kind, string Name, string Stage, string Subject, string OrganisationPath, Guid? LeaderId, string? LeaderName,
    Guid? SuggestedLeaderId, IReadOnlyList<GroupMember> Members, GroupGuide? Guide)
{
    public bool CrossSchool => Kind == "cross_school";
}

public sealed record LeftToCounty(string Stage, string Subject, int Teachers, string Reason);

public sealed record GroupsFormed(IReadOnlyList<StudyGroup> Groups, IReadOnlyList<LeftToCounty> LeftToCounty);

public sealed record GroupsSubmitted(string Organisation, int Groups, int Teachers, DateTimeOffset SubmittedAt);

public sealed record GuideTeacher(Guid Id, Guid TeacherId, string Name, string SchoolPath, string OrganisationPath, string Stage, string Subject, int Capacity,
    int Load, string? CrossReason = null);

/// <summary>A role the signed-in teacher holds by appointment (Mentoring's <c>/me/roles</c>).</summary>
public sealed record HeldRole(string Code, string Name, string Detail);

public sealed record MemberProgress(Guid TeacherId, int CoursesCompleted, decimal HoursCompleted, int ElectivesInProgress, bool OptedOut);

public sealed record GuidedGroup(StudyGroup Group, IReadOnlyList<MemberProgress> Progress);

public sealed record GuideGroups(GuideTeacher Guide, IReadOnlyList<GuidedGroup> Groups);

public sealed record RunFigures(Guid RunId, int Placed, int Unplaced, long TotalCost, long DistanceCost, long LoadCost, long DistanceLowerBound);

public sealed record RunAssignment(Guid GroupId, string Group, Guid GuideId, string Guide, int Distance, string Explanation);

public sealed record RunUnassigned(Guid GroupId, string Group, string Reason);

public sealed record AssignmentRun(RunFigures Run, IReadOnlyList<RunAssignment> Assignments, IReadOnlyList<RunUnassigned> Unassigned);

// ---- Parked messages (every service's /operations/parked) ----

public sealed record ParkedMessage(string? MessageId, string? MessageType, string? Reason, string? ExceptionType, DateTimeOffset? FaultedAt);

public sealed record ParkedQueue(string Queue, long Count, IReadOnlyList<ParkedMessage> Messages);

public sealed record RedriveOutcome(string Queue, int Moved, IReadOnlyList<string> NotFound);

public sealed record AuditRecordView(long Seq, DateTimeOffset At, Guid ActorAccountId, string ActorLogin, string ActorRole, string ActorOrganisationPath,
    string Action, string TargetKind, string TargetId, string Summary, string? ClientAddress, string? TraceId, string PrevHash, string Hash);

public sealed record AuditPageView(IReadOnlyList<AuditRecordView> Records, long? NextAfter);

public sealed record AuditVerificationView(bool Intact, long Checked, long? BrokenAtSeq, string? Problem, long? ArchivedThroughSeq, int Archives);

public sealed record ProgressExportJobLinks(string Self, string File);

public sealed record ProgressExportJobView(Guid Id, string Year, string? Under, string Status, long Total, long Done, string? Error,
    ProgressExportJobLinks Links);
