using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Portal.Gateway;

namespace TrainingPlatform.Portal.Components.Shared;

/// <summary>
/// What every signed-in page has: the user (from the token's claims), the gateway, the current program year, and
/// the page-level problem and busy flag its template shows.
/// </summary>
public abstract class PortalPage : ComponentBase
{
    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    [Inject]
    protected GatewayClient Api { get; set; } = default!;

    [Inject]
    protected ProgramYears Years { get; set; } = default!;

    protected PlatformUser User { get; private set; } = PlatformUser.From(new System.Security.Claims.ClaimsPrincipal());

    /// <summary>The problem to show at the top of the page (loading failed, or the last action was refused).</summary>
    protected ApiProblem? Problem { get; set; }

    /// <summary>True while the page loads or an action runs: buttons disable, a progress indicator shows.</summary>
    protected bool Busy { get; set; }

    protected ProgramYear? Year { get; private set; }

    protected override async Task OnInitializedAsync()
    {
        User = PlatformUser.From((await AuthenticationState).User);
        Busy = true;
        try
        {
            await LoadAsync();
        }
        finally
        {
            Busy = false;
        }
    }

    /// <summary>The page's data; set <see cref="Problem"/> when something could not be loaded.</summary>
    protected abstract Task LoadAsync();

    /// <summary>Loads the current program year into <see cref="Year"/>; false (with the problem set) when there is none.</summary>
    protected async Task<bool> LoadYearAsync()
    {
        var year = await Years.CurrentAsync();
        Year = year.Value;
        Problem = year.Problem;
        return year.Ok;
    }

    /// <summary>The teachers of the signed-in admin's own school (at most a few hundred).</summary>
    protected async Task<List<TeacherSummary>> OwnSchoolTeachersAsync() =>
        Take(await Api.GetAsync<List<TeacherSummary>>($"/api/directory/teachers?schoolCode={Ui.OwnOrganisationCode(User)}&pageSize=500")) ?? [];

    /// <summary>Keeps the value, or records the problem and returns the default.</summary>
    protected T? Take<T>(ApiResult<T> result)
    {
        if (!result.Ok)
        {
            Problem = result.Problem;
        }
        return result.Value;
    }

    /// <summary>Runs an action with the busy flag on; the problem of a refused action replaces the page's.</summary>
    protected async Task RunAsync(Func<Task> action)
    {
        Busy = true;
        Problem = null;
        try
        {
            await action();
        }
        finally
        {
            Busy = false;
        }
    }
}
