using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Services.Mentoring.StudyGroups;

/// <summary>An in-post teacher who can be put in a study group.</summary>
public sealed record GroupCandidate(Guid TeacherId, string Name, Guid SchoolId, string SchoolPath, string Stage, string Subject, DateOnly HireDate);

/// <summary>A group as formed: its stage and subject, members, and the suggested leader.</summary>
public sealed record FormedGroup(string Stage, string Subject, IReadOnlyList<GroupCandidate> Members, Guid SuggestedLeaderId, int Number, int Of)
{
    public string NameAt(string organisationName, bool crossSchool) =>
        $"{organisationName}{OrganisationNames.StageSubjectAfter(organisationName, Stage, Subject)}{(crossSchool ? "跨校" : "")}研修组{(Of > 1 ? $"（第{Number}组）" : "")}";
}

public static class OrganisationNames
{
    /// <summary>The stage and subject, e.g. 小学语文; a subject that already names its stage (幼儿园教师) is not prefixed again.</summary>
    public static string StageSubject(string stage, string subject) =>
        StageNames.Names.TryGetValue(stage, out var name)
            ? subject.StartsWith(name, StringComparison.Ordinal) ? subject : $"{name}{subject}"
            : $"{stage}{subject}";

    /// <summary>
    /// The stage and subject as they follow an organisation's name: a school whose name already ends in the stage's
    /// word (某某幼儿园, 某某小学) is not followed by it again, so a group reads 第一幼儿园园长研修组, not 第一幼儿园幼儿园园长研修组.
    /// </summary>
    public static string StageSubjectAfter(string organisationName, string stage, string subject)
    {
        var label = StageSubject(stage, subject);
        return StageNames.Names.TryGetValue(stage, out var name) && organisationName.EndsWith(name, StringComparison.Ordinal)
            && label.Length > name.Length && label.StartsWith(name, StringComparison.Ordinal)
            ? label[name.Length..]
            : label;
    }
}

/// <summary>
/// Forming study groups (seeds 001–004): per school and subject, groups of about <c>size</c> teachers; a school subject
/// with fewer than <c>minimum</c> teachers is left to the county's cross-school groups. Teachers are dealt to the groups
/// from the most senior down, so every group gets one of the most senior, and that one is the suggested leader.
/// </summary>
public static class GroupFormation
{
    public static (List<FormedGroup> Groups, List<GroupCandidate> LeftToCounty) ForSchool(IEnumerable<GroupCandidate> teachers, int size, int minimum)
    {
        var groups = new List<FormedGroup>();
        var left = new List<GroupCandidate>();
        foreach (var subject in teachers.GroupBy(t => (t.Stage, t.Subject)).OrderBy(g => g.Key.Stage, StringComparer.Ordinal)
                     .ThenBy(g => g.Key.Subject, StringComparer.Ordinal))
        {
            var members = subject.ToList();
            if (members.Count < minimum)
            {
                left.AddRange(members);
            }
            else
            {
                groups.AddRange(Split(subject.Key.Stage, subject.Key.Subject, members, size));
            }
        }
        return (groups, left);
    }

    /// <summary>Is a school subject of <paramref name="count"/> teachers too small for a group of its own?</summary>
    public static bool GoesToCounty(int count, int minimum) => count < minimum;

    /// <summary>The county's cross-school groups, from the teachers every school left to it.</summary>
    public static List<FormedGroup> CrossSchool(IEnumerable<GroupCandidate> pool, int size) =>
        [.. pool.GroupBy(t => (t.Stage, t.Subject)).OrderBy(g => g.Key.Stage, StringComparer.Ordinal).ThenBy(g => g.Key.Subject, StringComparer.Ordinal)
            .SelectMany(g => Split(g.Key.Stage, g.Key.Subject, [.. g], size))];

    /// <summary>How many groups for <paramref name="count"/> teachers: the nearest to groups of <paramref name="size"/>, at least one.</summary>
    public static int GroupCount(int count, int size) => Math.Max(1, (int)Math.Round(count / (double)size, MidpointRounding.AwayFromZero));

    /// <summary>The most senior (earliest hired; then by name and id, so the suggestion is stable).</summary>
    public static GroupCandidate SuggestLeader(IEnumerable<GroupCandidate> members) => members.OrderBy(m => m, Seniority).First();

    private static readonly Comparer<GroupCandidate> Seniority = Comparer<GroupCandidate>.Create((a, b) =>
    {
        var byHire = a.HireDate.CompareTo(b.HireDate);
        if (byHire != 0)
        {
            return byHire;
        }
        var byName = string.CompareOrdinal(a.Name, b.Name);
        return byName != 0 ? byName : a.TeacherId.CompareTo(b.TeacherId);
    });

    private static IEnumerable<FormedGroup> Split(string stage, string subject, List<GroupCandidate> members, int size)
    {
        var count = GroupCount(members.Count, size);
        var dealt = Enumerable.Range(0, count).Select(_ => new List<GroupCandidate>()).ToList();
        var ordered = members.Order(Seniority).ToList();
        for (var i = 0; i < ordered.Count; i++)
        {
            dealt[i % count].Add(ordered[i]);
        }
        return dealt.Select((g, i) => new FormedGroup(stage, subject, g, SuggestLeader(g).TeacherId, i + 1, count));
    }
}
