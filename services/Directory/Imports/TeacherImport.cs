using System.Diagnostics;
using Dapper;
using Npgsql;
using NpgsqlTypes;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Text;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Services.Directory.Accounts;
using TrainingPlatform.Services.Directory.Teachers;

namespace TrainingPlatform.Services.Directory.Imports;

/// <summary>What an import did, or why it did nothing.</summary>
public sealed record ImportOutcome(int TotalRows, int Created, int Updated, int Unchanged, IReadOnlyList<RowError> Errors);

/// <summary>
/// A teachers import, all or nothing, built for a province's million rows: every row is checked in memory (its
/// cells, the profile rules, duplicates inside the file, the school and the uploader's scope); the good rows are
/// COPYed into a temporary table; one query finds teachers already registered (elsewhere: an error; here: changed or
/// unchanged). One bad row and the transaction is rolled back. Otherwise new teachers, their accounts, the updates
/// and every outgoing event (outbox rows) are written with set-based SQL in the same transaction.
/// </summary>
public sealed class TeacherImport(NpgsqlDataSource db, TimeProvider clock)
{
    private const string StageTableSql = """
        create temporary table import_rows (
            line int not null, teacher_id uuid not null, message_id uuid not null, national_id text not null, name text not null,
            birth_date date not null, sex text not null, school_id uuid not null, stage text not null, subject text not null,
            hire_date date not null, normal_school_graduate boolean not null, class_teacher boolean not null, title text null,
            tier text not null, in_post boolean not null,
            is_new boolean not null default true, changed boolean not null default false, existing_school_id uuid null,
            left_post boolean not null default false
        ) on commit drop
        """;

    private const string CopySql = """
        copy import_rows (line, teacher_id, message_id, national_id, name, birth_date, sex, school_id, stage, subject, hire_date,
                          normal_school_graduate, class_teacher, title, tier, in_post) from stdin (format binary)
        """;

    /// <summary>Rows whose teacher exists: taken over by id, compared field by field, and their school returned.</summary>
    private const string MatchExistingSql = """
        create unique index on import_rows (national_id);
        analyze import_rows;
        update import_rows r
        set teacher_id = t.id, is_new = false,
            changed = (t.name, t.stage, t.subject, t.hire_date, t.normal_school_graduate, t.class_teacher, t.title, t.tier, t.in_post)
                      is distinct from (r.name, r.stage, r.subject, r.hire_date, r.normal_school_graduate, r.class_teacher, r.title, r.tier, r.in_post),
            existing_school_id = t.school_id,
            left_post = t.in_post and not r.in_post
        from teachers t
        where t.national_id = r.national_id;
        """;

    /// <summary>A teacher registered at another school: that is a transfer, not an import.</summary>
    private const string ConflictsSql = """
        select r.line, s.name
        from import_rows r join organisations s on s.id = r.existing_school_id
        where not r.is_new and r.existing_school_id <> r.school_id
        """;

    private const string ApplySql = $"""
        insert into teachers (id, national_id, name, birth_date, sex, school_id, stage, subject, hire_date,
                              normal_school_graduate, class_teacher, title, tier, in_post, version, created_at, updated_at)
        select teacher_id, national_id, name, birth_date, sex, school_id, stage, subject, hire_date,
               normal_school_graduate, class_teacher, title, tier, in_post, 1, @Now, @Now
        from import_rows where is_new;

        -- Imported teachers get no password: the first sign-in is by the province convention (ID number and the
        -- name's pinyin, unless switched off) or with a one-time password from the school, and sets their own.
        insert into accounts (id, login, display_name, role, organisation_id, teacher_id, password_hash, must_change_password)
        select message_id, national_id, name, 'teacher', school_id, teacher_id, '', true
        from import_rows where is_new
        on conflict (login) do nothing;

        update teachers t
        set name = r.name, stage = r.stage, subject = r.subject, hire_date = r.hire_date,
            normal_school_graduate = r.normal_school_graduate, class_teacher = r.class_teacher, title = r.title, tier = r.tier,
            in_post = r.in_post, version = t.version + 1, updated_at = @Now
        from import_rows r
        where r.teacher_id = t.id and not r.is_new and r.changed;

        -- The same TeacherProfileChanged the single-teacher endpoints send, built here for every row at once.
        insert into outbox_messages (message_id, message_type, body, trace_parent, trace_state)
        select r.message_id, @MessageType,
               jsonb_build_object(
                   'teacherId', t.id, 'version', t.version, 'nationalId', t.national_id, 'name', t.name,
                   'birthDate', t.birth_date, 'sex', t.sex, 'schoolId', t.school_id, 'schoolPath', s.path, 'stage', t.stage,
                   'subject', t.subject, 'hireDate', t.hire_date, 'normalSchoolGraduate', t.normal_school_graduate,
                   'classTeacher', t.class_teacher, 'title', t.title, 'tier', t.tier, 'inPost', t.in_post,
                   'change', case when r.is_new then 'registered' else 'updated' end, 'changedAt', t.updated_at),
               @TraceParent, @TraceState
        from import_rows r join teachers t on t.id = r.teacher_id join organisations s on s.id = t.school_id
        where r.is_new or r.changed;

        -- Teachers who left post are signed out everywhere, under every account tied to them: versions raised, kept
        -- for this service's check and announced, for all of them at once.
        with ended as (
            update accounts a set session_version = {AccountStore.NextSessionVersionSql}
            from import_rows r
            where r.left_post and a.teacher_id = r.teacher_id
            returning a.id, a.session_version
        ), saved as (
            {AccountStore.SaveEndedSql}
        )
        insert into outbox_messages (message_id, message_type, body, trace_parent, trace_state)
        select gen_random_uuid(), @SessionsEndedType,
               jsonb_build_object('accountId', id, 'sessionVersion', session_version, 'reason', @Reason, 'endedAt', @Now),
               @TraceParent, @TraceState
        from ended;
        """;

    public async Task<ImportOutcome> RunAsync(byte[] content, string fileName, PlatformUser uploader, Func<int, int, Task> reportProgress,
        CancellationToken cancellationToken)
    {
        var (rows, errors) = TeacherSheet.Read(SpreadsheetFile.Read(content, fileName));
        var errorList = errors.ToList();
        var valid = ValidateRows(rows, errorList);

        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var schools = (await unitOfWork.Connection.QueryAsync<SchoolRow>(new CommandDefinition(
            "select id, code, name, kind, path, stages from organisations where code = any(@Codes)",
            new { Codes = valid.Select(p => p.Input.SchoolCode!.Trim()).Distinct().ToArray() }, unitOfWork.Transaction,
            cancellationToken: cancellationToken))).ToDictionary(s => s.Code);
        var placed = PlaceInSchools(valid, schools, uploader, errorList);

        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(StageTableSql, transaction: unitOfWork.Transaction, cancellationToken: cancellationToken));
        await CopyAsync(unitOfWork.Connection, placed, rows.Count, reportProgress, cancellationToken);
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(MatchExistingSql, transaction: unitOfWork.Transaction,
            commandTimeout: 600, cancellationToken: cancellationToken));

        var conflicts = await unitOfWork.Connection.QueryAsync<(int Line, string SchoolName)>(new CommandDefinition(
            ConflictsSql, transaction: unitOfWork.Transaction, cancellationToken: cancellationToken));
        errorList.AddRange(conflicts.Select(c => new RowError(c.Line, "身份证号", $"该教师已在其他学校（{c.SchoolName}）登记；如为调动，请办理调动")));

        if (errorList.Count > 0)
        {
            return new ImportOutcome(rows.Count, 0, 0, 0, [.. errorList.OrderBy(e => e.Line).ThenBy(e => e.Column, StringComparer.Ordinal)]);
        }

        var counts = await unitOfWork.Connection.QuerySingleAsync<(long Created, long Updated, long Unchanged)>(new CommandDefinition("""
            select count(*) filter (where is_new), count(*) filter (where not is_new and changed), count(*) filter (where not is_new and not changed)
            from import_rows
            """, transaction: unitOfWork.Transaction, cancellationToken: cancellationToken));
        var activity = Activity.Current;
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(ApplySql, new
        {
            Now = clock.GetUtcNow(),
            MessageType = MessageTypes.NameOf(typeof(TeacherProfileChanged)),
            SessionsEndedType = MessageTypes.NameOf(typeof(AccountSessionsEnded)),
            Reason = SessionEndReasons.LeftPost,
            TraceParent = activity?.Id,
            TraceState = activity?.TraceStateString,
        }, unitOfWork.Transaction, commandTimeout: 600, cancellationToken: cancellationToken));
        if (counts.Created + counts.Updated > 0)
        {
            unitOfWork.WroteOutboxRows();
        }
        await unitOfWork.CommitAsync(cancellationToken);
        await reportProgress(rows.Count, rows.Count);
        return new ImportOutcome(rows.Count, (int)counts.Created, (int)counts.Updated, (int)counts.Unchanged, []);
    }

    private List<(int Line, TeacherInput Input, NationalId Id)> ValidateRows(IReadOnlyList<(int Line, TeacherInput Input)> rows, List<RowError> errors)
    {
        var today = ProvinceCalendar.Today(clock);
        var unreadable = errors.Select(e => (e.Line, e.Column)).ToHashSet();
        var valid = new List<(int, TeacherInput, NationalId)>(rows.Count);
        foreach (var (line, input) in rows)
        {
            var validation = TeacherRules.Validate(input, today, out var id);
            foreach (var (field, rule) in validation.Errors)
            {
                // A cell that could not be read was reported already; its rule failure would only repeat it.
                var column = TeacherSheet.ColumnOf(field);
                if (!unreadable.Contains((line, column)))
                {
                    errors.Add(new RowError(line, column, rule));
                }
            }
            if (validation.IsValid && id is not null)
            {
                valid.Add((line, input, id));
            }
        }

        var firstLineOf = new Dictionary<string, int>(valid.Count, StringComparer.Ordinal);
        var unique = new List<(int Line, TeacherInput Input, NationalId Id)>(valid.Count);
        foreach (var row in valid)
        {
            if (firstLineOf.TryGetValue(row.Item3.Value, out var first))
            {
                errors.Add(new RowError(row.Item1, "身份证号", $"与第 {first} 行的身份证号重复"));
            }
            else
            {
                firstLineOf[row.Item3.Value] = row.Item1;
                unique.Add(row);
            }
        }
        return unique;
    }

    private static List<(int Line, TeacherInput Input, NationalId Id, SchoolRow School)> PlaceInSchools(
        List<(int Line, TeacherInput Input, NationalId Id)> rows, Dictionary<string, SchoolRow> schools, PlatformUser uploader, List<RowError> errors)
    {
        var placed = new List<(int, TeacherInput, NationalId, SchoolRow)>(rows.Count);
        foreach (var (line, input, id) in rows)
        {
            var code = input.SchoolCode!.Trim();
            if (!schools.TryGetValue(code, out var school) || school.Kind != OrganisationKinds.School)
            {
                errors.Add(new RowError(line, "学校代码", $"学校代码 {code} 不存在或不是学校"));
            }
            else if (!uploader.CanSeeOrganisation(school.Path))
            {
                errors.Add(new RowError(line, "学校代码", $"学校 {code} 不在你的管理范围内"));
            }
            else if (!school.Stages.Contains(input.Stage!))
            {
                errors.Add(new RowError(line, "学段", $"{school.Name} 没有该学段（该校学段：{string.Join(", ", school.Stages)}）"));
            }
            else
            {
                placed.Add((line, input, id, school));
            }
        }
        return placed;
    }

    private static async Task CopyAsync(NpgsqlConnection connection, List<(int Line, TeacherInput Input, NationalId Id, SchoolRow School)> rows,
        int total, Func<int, int, Task> reportProgress, CancellationToken cancellationToken)
    {
        await using var copy = await connection.BeginBinaryImportAsync(CopySql, cancellationToken);
        var written = 0;
        foreach (var (line, input, id, school) in rows)
        {
            await copy.StartRowAsync(cancellationToken);
            await copy.WriteAsync(line, NpgsqlDbType.Integer, cancellationToken);
            await copy.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid, cancellationToken);
            await copy.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid, cancellationToken);
            await copy.WriteAsync(id.Value, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(TextRules.NormalisePersonName(input.Name!), NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(id.BirthDate, NpgsqlDbType.Date, cancellationToken);
            await copy.WriteAsync(id.Sex == Sex.Male ? "male" : "female", NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(school.Id, NpgsqlDbType.Uuid, cancellationToken);
            await copy.WriteAsync(input.Stage!, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(input.Subject!, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(input.HireDate!.Value, NpgsqlDbType.Date, cancellationToken);
            await copy.WriteAsync(input.NormalSchoolGraduate!.Value, NpgsqlDbType.Boolean, cancellationToken);
            await copy.WriteAsync(input.ClassTeacher!.Value, NpgsqlDbType.Boolean, cancellationToken);
            if (string.IsNullOrWhiteSpace(input.Title))
            {
                await copy.WriteNullAsync(cancellationToken);
            }
            else
            {
                await copy.WriteAsync(input.Title.Trim(), NpgsqlDbType.Text, cancellationToken);
            }
            await copy.WriteAsync(input.Tier ?? Contracts.Reference.Tiers.NewTeacher, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(input.InPost ?? true, NpgsqlDbType.Boolean, cancellationToken);
            if (++written % 100_000 == 0)
            {
                await reportProgress(written / 2, total); // copying is about half the work
            }
        }
        await copy.CompleteAsync(cancellationToken);
    }
}
