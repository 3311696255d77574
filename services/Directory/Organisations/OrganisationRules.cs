using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Services.Directory.Organisations;

/// <summary>Which organisation may sit under which: the shape of the province's tree.</summary>
public static class OrganisationRules
{
    public const int MaxCodeLength = 32;
    public const int MaxNameLength = 100;

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
            .Require(!string.IsNullOrWhiteSpace(request.Code) && request.Code.Trim().Length <= MaxCodeLength, "code", $"机构代码必填，最多 {MaxCodeLength} 个字符")
            .RequireTitle(request.Name, "name", "机构名称", MaxNameLength)
            .Require(OrganisationKinds.Names.ContainsKey(request.Kind ?? ""), "kind",
                $"机构类型必须是以下之一：{string.Join(", ", OrganisationKinds.All)}");

        var stages = validation.Elements(request.Stages, "stages").Select(e => e.Item).ToList();
        if (request.Kind == OrganisationKinds.School)
        {
            validation.Require((request.Stages ?? []).Count > 0, "stages", "学校至少要有一个学段");
            validation.Require(stages.All(StageNames.Names.ContainsKey), "stages", $"学段必须是以下之一：{string.Join(", ", StageNames.Names.Keys)}");
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

public sealed record RegisterOrganisation(
    [property: Required, MaxLength(OrganisationRules.MaxCodeLength), Description("机构代码，全省唯一，登记后不可修改")] string? Code,
    [property: Required, MaxLength(OrganisationRules.MaxNameLength), Description("机构名称")] string? Name,
    [property: Required, Codes(typeof(OrganisationKinds)), Description("机构类型")] string? Kind,
    [property: Description("上级机构代码：省级机构不填，其他必填（设区市属省，县区属设区市，乡镇属县区，学校属县区或乡镇）")] string? ParentCode,
    [property: Codes(typeof(StageNames)), Description("学校的学段（至少一个，不重复）；其他机构不填")] IReadOnlyList<string>? Stages);
