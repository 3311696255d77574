using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Services.Directory.Teachers;

namespace TrainingPlatform.Services.Directory.Imports;

/// <summary>What an import did, or why it did nothing.</summary>
public sealed record ImportOutcome(int TotalRows, int Created, int Updated, int Unchanged, IReadOnlyList<RowError> Errors);

/// <summary>
/// A teachers import, all or nothing: every row is checked first (its cells, the profile rules, duplicates inside
/// the file, the school and the uploader's scope, a teacher already registered at another school); one bad row
/// and nothing is written. Otherwise new teachers are registered, changed ones updated, identical ones left alone,
/// in one transaction.
/// </summary>
public sealed class TeacherImport(NpgsqlDataSource db, TeacherStore teachers, TimeProvider clock)
{
    public async Task<ImportOutcome> RunAsync(byte[] content, string fileName, PlatformUser uploader, Func<int, int, Task> reportProgress,
        CancellationToken cancellationToken)
    {
        var (rows, errors) = TeacherSheet.Read(SpreadsheetFile.Read(content, fileName));
        var errorList = errors.ToList();
        var today = DateOnly.FromDateTime(clock.GetLocalNow().DateTime);

        var parsed = new List<(int Line, TeacherInput Input, NationalId Id)>();
        foreach (var (line, input) in rows)
        {
            var validation = TeacherRules.Validate(input, today, out var id);
            foreach (var (field, rule) in validation.Errors)
            {
                // A cell that could not be read was reported already; its rule failure would only repeat it.
                if (!errorList.Any(e => e.Line == line && e.Column == TeacherSheet.ColumnOf(field)))
                {
                    errorList.Add(new RowError(line, TeacherSheet.ColumnOf(field), rule));
                }
            }
            if (validation.IsValid && id is not null)
            {
                parsed.Add((line, input, id));
            }
        }
        foreach (var duplicate in parsed.GroupBy(p => p.Id.Value).Where(g => g.Count() > 1))
        {
            var first = duplicate.First().Line;
            errorList.AddRange(duplicate.Skip(1).Select(d => new RowError(d.Line, "身份证号", $"与第 {first} 行的身份证号重复")));
        }

        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var schools = (await unitOfWork.Connection.QueryAsync<SchoolRow>(new CommandDefinition(
            "select id, code, name, kind, path, stages from organisations where code = any(@Codes)",
            new { Codes = parsed.Select(p => p.Input.SchoolCode!.Trim()).Distinct().ToArray() }, unitOfWork.Transaction,
            cancellationToken: cancellationToken))).ToDictionary(s => s.Code);
        var existing = (await unitOfWork.Connection.QueryAsync<TeacherRow>(new CommandDefinition(
            $"{TeacherStore.SelectSql} where t.national_id = any(@Ids) for update of t",
            new { Ids = parsed.Select(p => p.Id.Value).ToArray() }, unitOfWork.Transaction, cancellationToken: cancellationToken)))
            .ToDictionary(t => t.NationalId);

        foreach (var (line, input, id) in parsed)
        {
            var code = input.SchoolCode!.Trim();
            if (!schools.TryGetValue(code, out var school) || school.Kind != OrganisationKinds.School)
            {
                errorList.Add(new RowError(line, "学校代码", $"学校代码 {code} 不存在或不是学校"));
            }
            else if (!uploader.CanSeeOrganisation(school.Path))
            {
                errorList.Add(new RowError(line, "学校代码", $"学校 {code} 不在你的管理范围内"));
            }
            else if (!school.Stages.Contains(input.Stage!))
            {
                errorList.Add(new RowError(line, "学段", $"{school.Name} 没有该学段（该校学段：{string.Join(", ", school.Stages)}）"));
            }
            else if (existing.TryGetValue(id.Value, out var teacher) && teacher.SchoolId != school.Id)
            {
                errorList.Add(new RowError(line, "身份证号", $"该教师已在其他学校（{teacher.SchoolName}）登记；如为调动，请办理调动"));
            }
        }

        if (errorList.Count > 0)
        {
            return new ImportOutcome(rows.Count, 0, 0, 0, [.. errorList.OrderBy(e => e.Line)]);
        }

        int created = 0, updated = 0, unchanged = 0, done = 0;
        foreach (var (_, input, id) in parsed)
        {
            if (existing.TryGetValue(id.Value, out var teacher))
            {
                if (await teachers.UpdateProfileAsync(unitOfWork, teacher, input, cancellationToken)) { updated++; } else { unchanged++; }
            }
            else
            {
                await teachers.RegisterAsync(unitOfWork, input, id, schools[input.SchoolCode!.Trim()], cancellationToken, issueInitialPassword: false);
                created++;
            }
            if (++done % 500 == 0)
            {
                await reportProgress(done, rows.Count);
            }
        }
        await unitOfWork.CommitAsync(cancellationToken);
        return new ImportOutcome(rows.Count, created, updated, unchanged, []);
    }
}
