using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Services.Directory.Organisations;

namespace TrainingPlatform.Services.Directory.Imports;

/// <summary>
/// Organisations from a bureau's sheet (机构代码, 名称, 类型, 上级代码, 学段), all or nothing: a parent may be a row
/// above it in the same file; an existing code with the same name and stages is left alone, a changed one is updated
/// and announced; moving an organisation to another parent is refused (it would move everyone's scope).
/// </summary>
public sealed class SchoolImport(NpgsqlDataSource db, TimeProvider clock)
{
    private static readonly Dictionary<string, string> Kinds = new(StringComparer.Ordinal)
    {
        ["省"] = OrganisationKinds.Province, ["市"] = OrganisationKinds.City, ["设区市"] = OrganisationKinds.City,
        ["县"] = OrganisationKinds.County, ["区"] = OrganisationKinds.County, ["县区"] = OrganisationKinds.County,
        ["镇"] = OrganisationKinds.Township, ["乡镇"] = OrganisationKinds.Township, ["学校"] = OrganisationKinds.School,
        ["幼儿园"] = OrganisationKinds.School,
    };

    // Chinese name → code, from the same map the rules and the API documents use.
    private static readonly Dictionary<string, string> StagesByName =
        Contracts.Reference.StageNames.Names.ToDictionary(s => s.Value, s => s.Key, StringComparer.Ordinal);

    public static readonly IReadOnlyList<string> Headers = ["机构代码", "名称", "类型", "上级代码", "学段"];

    public async Task<ImportOutcome> RunAsync(byte[] content, string fileName, PlatformUser uploader, CancellationToken cancellationToken)
    {
        var records = SpreadsheetFile.Read(content, fileName);
        var errors = new List<RowError>();
        var rows = ReadRows(records, errors);

        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var existing = (await unitOfWork.Connection.QueryAsync<ExistingRow>(new CommandDefinition("""
            select o.code, o.name, o.kind, o.path, o.stages, p.code as parent_code
            from organisations o left join organisations p on p.id = o.parent_id
            where o.code = any(@Codes) or o.code = any(@Parents)
            """, new { Codes = rows.Select(r => r.Request.Code!).ToArray(), Parents = rows.Select(r => r.Request.ParentCode ?? "").ToArray() },
            unitOfWork.Transaction, cancellationToken: cancellationToken))).ToDictionary(e => e.Code);
        var paths = existing.Values.ToDictionary(e => e.Code, e => e.Path);

        int created = 0, updated = 0, unchanged = 0;
        foreach (var (line, request) in rows)
        {
            var validation = OrganisationRules.Validate(request);
            foreach (var (field, rule) in validation.Errors)
            {
                errors.Add(new RowError(line, ColumnOf(field), rule));
            }
            if (!validation.IsValid)
            {
                continue;
            }
            var parentPath = request.ParentCode is null ? "" : paths.GetValueOrDefault(request.ParentCode);
            if (parentPath is null)
            {
                errors.Add(new RowError(line, "上级代码", $"上级机构 {request.ParentCode} 不存在（也不在本文件之前的行中）"));
                continue;
            }
            var path = parentPath.Length == 0 ? request.Code! : $"{parentPath}/{request.Code}";
            if (!uploader.CanSeeOrganisation(path) || (uploader.Role != Roles.PlatformOperator && path == uploader.OrganisationPath))
            {
                errors.Add(new RowError(line, "机构代码", $"机构 {request.Code} 不在你的管理范围内"));
                continue;
            }
            if (existing.TryGetValue(request.Code!, out var current))
            {
                if (current.ParentCode != request.ParentCode || current.Kind != request.Kind)
                {
                    errors.Add(new RowError(line, "上级代码", $"机构 {request.Code} 已登记在 {current.ParentCode ?? "（无）"} 之下且类型为 {current.Kind}；导入不能移动机构或改变类型"));
                }
                else if (current.Name == request.Name && current.Stages.Order().SequenceEqual((request.Stages ?? []).Order()))
                {
                    unchanged++;
                }
                else
                {
                    await OrganisationStore.ChangeAsync(unitOfWork, request.Code!, request.Name!, request.Stages ?? [], clock.GetUtcNow(), cancellationToken);
                    updated++;
                }
                continue;
            }

            var (registered, problem) = await OrganisationStore.RegisterAsync(unitOfWork, request, clock.GetUtcNow(), cancellationToken);
            if (registered is null)
            {
                var reason = problem?.ProblemDetails.Detail ?? "无法登记";
                errors.Add(new RowError(line, "上级代码", reason));
                continue;
            }
            paths[registered.Code] = registered.Path;
            created++;
        }

        if (errors.Count > 0)
        {
            return new ImportOutcome(rows.Count, 0, 0, 0, [.. errors.OrderBy(e => e.Line)]); // disposed uncommitted: nothing written
        }
        await unitOfWork.CommitAsync(cancellationToken);
        return new ImportOutcome(rows.Count, created, updated, unchanged, []);
    }

    private static List<(int Line, RegisterOrganisation Request)> ReadRows(IReadOnlyList<(int Line, IReadOnlyList<string> Fields)> records, List<RowError> errors)
    {
        if (records.Count == 0)
        {
            errors.Add(new RowError(1, "", "文件为空：第一行应为表头"));
            return [];
        }
        var header = records[0].Fields.Select(f => f.Trim()).ToList();
        var columns = Headers.ToDictionary(h => h, h => header.IndexOf(h));
        foreach (var missing in Headers.Take(3).Where(h => columns[h] < 0))
        {
            errors.Add(new RowError(records[0].Line, missing, $"缺少必填列“{missing}”"));
        }
        if (errors.Count > 0)
        {
            return [];
        }

        var rows = new List<(int, RegisterOrganisation)>();
        foreach (var (line, fields) in records.Skip(1))
        {
            string? Cell(string name) => columns[name] >= 0 && columns[name] < fields.Count && fields[columns[name]].Trim() is { Length: > 0 } v ? v : null;
            var kindText = Cell("类型");
            var kind = kindText is null ? null : Kinds.GetValueOrDefault(kindText, kindText);
            var stages = new List<string>();
            foreach (var name in (Cell("学段") ?? "").Split(['、', ',', '，', '/', ' '], StringSplitOptions.RemoveEmptyEntries))
            {
                if (StagesByName.TryGetValue(name, out var stage))
                {
                    stages.Add(stage);
                }
                else
                {
                    errors.Add(new RowError(line, "学段", $"学段应为 高中/初中/小学/幼儿园，多个用“、”分隔（当前为“{name}”）"));
                }
            }
            rows.Add((line, new RegisterOrganisation(Cell("机构代码"), Cell("名称"), kind, Cell("上级代码"), stages)));
        }
        // Parents first, whatever order the file lists them in.
        var rank = OrganisationKinds.All.Select((k, i) => (k, i)).ToDictionary(x => x.k, x => x.i);
        return [.. rows.OrderBy(r => rank.GetValueOrDefault(r.Item2.Kind ?? "", 99)).ThenBy(r => r.Item1)];
    }

    private static string ColumnOf(string field) => field switch
    {
        "code" => "机构代码", "name" => "名称", "kind" => "类型", "parentCode" => "上级代码", _ => "学段",
    };

    private sealed class ExistingRow
    {
        public string Code { get; init; } = "";
        public string Name { get; init; } = "";
        public string Kind { get; init; } = "";
        public string Path { get; init; } = "";
        public string[] Stages { get; init; } = [];
        public string? ParentCode { get; init; }
    }
}
