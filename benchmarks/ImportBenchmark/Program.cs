// Import benchmark (issue 3): a generated file of N teachers (default 1,000,000) imported end to end — parsing,
// validation, COPY, matching and the set-based writes with their outbox rows — against a real PostgreSQL with
// fsync on. Then the same file again, which must change nothing.
//
//   dotnet run -c Release --project benchmarks/ImportBenchmark [-- rows]
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using TrainingPlatform.LocalServers;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Services.Directory;
using TrainingPlatform.Services.Directory.Imports;
using TrainingPlatform.Services.Directory.Teachers;

var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
const int Counties = 20, SchoolsPerCounty = 50;

Console.WriteLine($"import benchmark: {rows:N0} teachers, {Counties * SchoolsPerCounty:N0} schools, {Environment.ProcessorCount} cores");
var root = Directory.CreateTempSubdirectory("trainingplatform-bench-").FullName;
if (!OperatingSystem.IsWindows())
{
    File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101); // the server runs as the postgres user
}
await using var postgres = await LocalPostgres.StartAsync(new LocalPostgresOptions { DataDirectory = Path.Combine(root, "pg") }, NullLogSink.Instance);
await postgres.EnsureDatabaseAsync(DirectoryApi.DatabaseName);
var connectionString = postgres.ConnectionStringFor(DirectoryApi.DatabaseName);
await new DatabaseMigrations(connectionString, typeof(DirectoryApi).Assembly).RunAsync(NullLogger.Instance, CancellationToken.None);
await using var db = new NpgsqlDataSourceBuilder(connectionString).Build();
DapperSetup.ConfigureOnce();

var schools = await CreateOrganisationTreeAsync(db);
var file = GenerateFile(rows, schools);
Console.WriteLine($"generated file: {file.Length / 1024.0 / 1024.0:0.0} MB CSV");

var import = new TeacherImport(db, TimeProvider.System);
var operatorUser = new PlatformUser(Guid.NewGuid(), "bench", Roles.PlatformOperator, null, "", null);
foreach (var run in new[] { "first import", "same file again" })
{
    var clock = Stopwatch.StartNew();
    var outcome = await import.RunAsync(file, "teachers.csv", operatorUser, (_, _) => Task.CompletedTask, CancellationToken.None);
    clock.Stop();
    Console.WriteLine($"{run,-16}: {clock.Elapsed.TotalSeconds,6:0.0} s  ({rows / clock.Elapsed.TotalSeconds,9:N0} rows/s)  " +
                      $"created {outcome.Created:N0}, updated {outcome.Updated:N0}, unchanged {outcome.Unchanged:N0}, errors {outcome.Errors.Count:N0}");
    if (outcome.Errors.Count > 0)
    {
        Console.WriteLine($"  first error: line {outcome.Errors[0].Line} {outcome.Errors[0].Column}: {outcome.Errors[0].Reason}");
    }
}

await using (var connection = await db.OpenConnectionAsync())
{
    var (teachers, accounts, outbox) = await connection.QuerySingleAsync<(long, long, long)>(
        "select (select count(*) from teachers), (select count(*) from accounts), (select count(*) from outbox_messages)");
    Console.WriteLine($"database: {teachers:N0} teachers, {accounts:N0} accounts, {outbox:N0} outbox rows waiting for the dispatcher");
}
await postgres.DisposeAsync();
Directory.Delete(root, recursive: true);

static async Task<List<(string Code, string AreaCode, string[] Stages)>> CreateOrganisationTreeAsync(NpgsqlDataSource db)
{
    var schools = new List<(string, string, string[])>();
    await using var connection = await db.OpenConnectionAsync();
    await connection.ExecuteAsync("insert into organisations (id, code, name, kind, path) values (gen_random_uuid(), 'B37', '基准省', 'province', 'B37')");
    for (var c = 0; c < Counties; c++)
    {
        var city = $"B37{c / 5:00}";
        if (c % 5 == 0)
        {
            await connection.ExecuteAsync("""
                insert into organisations (id, code, name, kind, parent_id, path)
                select gen_random_uuid(), @City, '基准市', 'city', id, path || '/' || @City from organisations where code = 'B37'
                """, new { City = city });
        }
        var county = $"{city}{c % 5:00}";
        await connection.ExecuteAsync("""
            insert into organisations (id, code, name, kind, parent_id, path)
            select gen_random_uuid(), @County, '基准县', 'county', id, path || '/' || @County from organisations where code = @City
            """, new { County = county, City = city });
        for (var s = 0; s < SchoolsPerCounty; s++)
        {
            var code = $"{county}{s:000}";
            string[] stages = (s % 4) switch { 0 => ["primary"], 1 => ["junior", "senior"], 2 => ["junior"], _ => ["primary", "junior"] };
            await connection.ExecuteAsync("""
                insert into organisations (id, code, name, kind, parent_id, path, stages)
                select gen_random_uuid(), @Code, '基准学校', 'school', id, path || '/' || @Code, @Stages from organisations where code = @County
                """, new { Code = code, County = county, Stages = stages });
            schools.Add((code, $"3716{c:00}", stages));
        }
    }
    return schools;
}

// Deterministic: teacher i gets a real, unique ID number (area code of the county, a birth date, a sequence, the
// check character), a school, one of its stages and a subject of that stage.
static byte[] GenerateFile(int rows, List<(string Code, string AreaCode, string[] Stages)> schools)
{
    string[] surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"];
    string[] givenNames = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平"];
    var stageNames = new Dictionary<string, (string Name, string Subject)>
    {
        ["primary"] = ("小学", "数学"), ["junior"] = ("初中", "语文"), ["senior"] = ("高中", "物理"),
    };
    var text = new StringBuilder(rows * 110);
    text.Append("身份证号,姓名,学校代码,学段,学科,入职日期,是否师范毕业,是否班主任,职称,发展层级\n");
    var epoch = new DateOnly(1965, 1, 1);
    for (var i = 0; i < rows; i++)
    {
        var school = schools[i % schools.Count];
        var birth = epoch.AddDays(i / 900 % 12_000);
        var first17 = $"{school.AreaCode}{birth:yyyyMMdd}{i % 900 + 100:000}";
        var id = first17 + NationalId.CheckCharacter(first17);
        var (stage, subject) = stageNames[school.Stages[i % school.Stages.Length]];
        var hired = birth.AddYears(23);
        // A name is letters only (a certificate prints it): surname and given name from short lists, not 教师123.
        text.Append(id).Append(',').Append(surnames[i % surnames.Length]).Append(givenNames[i / surnames.Length % givenNames.Length])
            .Append(',').Append(school.Code).Append(',').Append(stage).Append(',')
            .Append(subject).Append(',').Append(hired.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
            .Append(i % 3 == 0 ? ",否" : ",是").Append(i % 5 == 0 ? ",是" : ",否").Append(",二级教师,春苗\n");
    }
    return Encoding.UTF8.GetBytes(text.ToString());
}
