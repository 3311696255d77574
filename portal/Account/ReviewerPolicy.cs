using Microsoft.AspNetCore.Authorization;
using TrainingPlatform.Portal.Gateway;

namespace TrainingPlatform.Portal.Account;

/// <summary>
/// Who may open the review page: whoever holds a role that decides a step of Credits' approval chain, as served. The
/// roles are the chain's, not a list of the portal's, so a step given to another role opens the page to it.
/// </summary>
public static class ReviewerPolicy
{
    public const string Name = "approval-chain-reviewer";

    public static void Build(AuthorizationPolicyBuilder policy) =>
        policy.RequireAuthenticatedUser()
            .RequireAssertion(context => !PortalSignIn.MustChangePassword(context.User))
            .AddRequirements(new DecidesAStep());

    public sealed class DecidesAStep : IAuthorizationRequirement;

    /// <summary>Refuses while the chain cannot be read: the page could not show the step anyway.</summary>
    public sealed class Handler(ReferenceData reference) : AuthorizationHandler<DecidesAStep>
    {
        protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, DecidesAStep requirement)
        {
            var chain = (await reference.ApprovalChainAsync()).Value;
            if (chain is not null && chain.DeciderRoles.Any(context.User.IsInRole))
            {
                context.Succeed(requirement);
            }
        }
    }
}
