using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Services.Mentoring.Copies;

namespace TrainingPlatform.Services.Mentoring;

/// <summary>
/// Who may change what: a school admin their own school's groups and teachers, a district admin the counties and
/// schools below it, the operator everything. Anything outside the caller's sight is "not found", not "forbidden".
/// </summary>
public static class MentoringScope
{
    /// <summary>The organisation <paramref name="code"/> if the caller may see it, else a 404 problem.</summary>
    public static async Task<(OrganisationRow? Organisation, NotFoundProblem? Problem)> VisibleOrganisationAsync(NpgsqlConnection connection, PlatformUser user,
        string code, CancellationToken cancellationToken)
    {
        var organisation = await CopyStore.FindOrganisationAsync(connection, code, cancellationToken);
        return organisation is null || !user.CanSeeOrganisation(organisation.Path)
            ? (null, Problems.NotFound($"机构代码 {code} 不存在或不在你的管理范围内"))
            : (organisation, null);
    }

    /// <summary>
    /// May the caller arrange the study groups of <paramref name="organisationPath"/> (a school: its own admin; a county's
    /// cross-school groups: a district admin above it)? Null when allowed, else the problem: a
    /// <see cref="ForbiddenProblem"/>, or a <see cref="RuleProblem"/> for an organisation that has no groups.
    /// </summary>
    public static PlatformProblemResult? CanArrangeGroups(PlatformUser user, string kind, string organisationPath) => kind switch
    {
        _ when user.IsOperator => null,
        OrganisationKinds.School when user.Role == Roles.SchoolAdmin && user.OrganisationPath == organisationPath => null,
        OrganisationKinds.School => Problems.Forbidden("学校的研修组由本校管理员编排"),
        OrganisationKinds.County when user.Role == Roles.DistrictAdmin && user.CanSeeOrganisation(organisationPath) => null,
        OrganisationKinds.County => Problems.Forbidden("跨校研修组由区县（或上级）教育局编排"),
        _ => Problems.RuleBroken("研修组按学校编排，人数少的学科由区县编排跨校组：请给出学校或区县代码", "group-organisation"),
    };

    /// <summary>Dates are checked in the province's calendar: group lists may change up to and including the due day.</summary>
    public static ConflictProblem? GroupListsOpen(YearRow year, TimeProvider clock, bool submitted)
    {
        var today = ProvinceCalendar.Today(clock);
        if (today > year.GroupListsDue)
        {
            return Problems.Conflict($"{year.Code} 年度研修组名单已于 {Day(year.GroupListsDue)} 截止，不能再编组、调整成员或组长", "group-lists-closed");
        }
        return submitted ? Problems.Conflict("研修组名单已提交，不能再调整", "group-list-submitted") : null;
    }

    public static string CountyOf(string path) => string.Join('/', path.Split('/').Take(3));

    public static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    public static string By(PlatformUser user) => $"{user.Name} ({user.AccountId})";

    /// <summary>
    /// A refusal of a shared check that the endpoint's results do not list: a mistake in the endpoint's signature, which
    /// the tests meet, never a caller's.
    /// </summary>
    public static InvalidOperationException Unlisted(IResult problem) =>
        new($"{problem.GetType().Name} is not among the results this endpoint declares");
}
