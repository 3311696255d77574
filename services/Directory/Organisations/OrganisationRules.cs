using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.Contracts.Directory;

namespace TrainingPlatform.Services.Directory.Organisations;

/// <summary>Which organisation may sit under which: the shape of the province's tree.</summary>
public static class OrganisationRules
{
    /// <summary>The kinds a parent of <paramref name="kind"/> may have; null when it must be a root.</summary>
    public static IReadOnlyList<string>? AllowedParents(string kind) => kind switch
    {
        OrganisationKinds.Province => null,
        OrganisationKinds.City => [OrganisationKinds.Province],
        OrganisationKinds.County => [OrganisationKinds.City],
        OrganisationKinds.Township => [OrganisationKinds.County],
        OrganisationKinds.School => [OrganisationKinds.County, OrganisationKinds.Township],
        _ => [],
    };

    public static Validation Validate(RegisterOrganisation request)
    {
        var validation = new Validation()
            .Require(!string.IsNullOrWhiteSpace(request.Code) && request.Code.Trim().Length <= 32, "code", "机构代码必填，最多 32 个字符")
            .RequireTitle(request.Name, "name", "机构名称", 100)
            .Require(OrganisationKinds.All.Contains(request.Kind ?? ""), "kind",
                $"机构类型必须是以下之一：{string.Join(", ", OrganisationKinds.All)}");

        var stages = validation.Elements(request.Stages, "stages").Select(e => e.Item).ToList();
        if (request.Kind == OrganisationKinds.School)
        {
            validation.Require((request.Stages ?? []).Count > 0, "stages", "学校至少要有一个学段");
            validation.Require(stages.All(Stages.All.Contains), "stages", $"学段必须是以下之一：{string.Join(", ", Stages.All)}");
            validation.Require(stages.Distinct().Count() == stages.Count, "stages", "学段不能重复");
        }
        else
        {
            validation.Require((request.Stages ?? []).Count == 0, "stages", "只有学校才有学段");
        }

        var needsParent = AllowedParents(request.Kind ?? "") is not null;
        validation.Require(needsParent == !string.IsNullOrWhiteSpace(request.ParentCode), "parentCode",
            needsParent ? "除省以外的机构必须指定上级机构代码" : "省级机构没有上级机构");
        return validation;
    }
}

public sealed record RegisterOrganisation(string? Code, string? Name, string? Kind, string? ParentCode, IReadOnlyList<string>? Stages);
