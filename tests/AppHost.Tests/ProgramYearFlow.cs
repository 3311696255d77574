using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace TrainingPlatform.AppHost.Tests;

/// <summary>
/// The program year end to end on the running platform, every call through the gateway with tokens Directory
/// signed, every fact crossing services through RabbitMQ: a school chooses topics (Catalog); its teacher finds the
/// required package pushed and chooses electives up to the minimum (Enrollment, from Directory's and Catalog's
/// events); the learning side reports progress late, twice and out of order, and the course is credited once
/// (Credits, from Enrollment's event); kindergarten teachers race for the seats of a concentrated session.
/// </summary>
internal static class ProgramYearFlow
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    public static async Task RunAsync(HttpClient http, string password, ITestOutputHelper output)
    {
        var year = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).Year.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var school = await Gateway.SignInAsync(http, "school-371602001", password);
        var teacher = await Gateway.SignInAsync(http, "371602198503120028", password); // 王丽, senior 语文, 第一中学

        // The school chooses three of the demo's six topics.
        var topics = await Gateway.GetAsync(http, $"/api/catalog/years/{year}/topics", school);
        var chosen = topics.EnumerateArray().Take(3).Select(t => t.GetProperty("id").GetGuid()).ToList();
        var choice = await Gateway.SendOkAsync(http, HttpMethod.Put, $"/api/catalog/years/{year}/schools/371602001/topics", school, new { topicIds = chosen });
        Assert.Equal("chosen", choice.GetProperty("status").GetString());

        // The teacher's required package arrives by itself; the electives come from the school's topics.
        var me = await Gateway.EventuallyAsync(http, $"/api/enrollment/years/{year}/me", teacher,
            m => m.GetProperty("required").GetArrayLength() == 8, Patience, "the 22-hour required package to be pushed");
        Assert.Equal(22m, me.GetProperty("requiredHours").GetDecimal());
        var courses = await Gateway.GetAsync(http, $"/api/catalog/courses?topic={chosen[0]}&pageSize=10", teacher);
        var electives = courses.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("id").GetGuid()).Take(4).ToList();
        JsonElement summary = default;
        foreach (var course in electives)
        {
            // Enrollment learns of the school's choice through the broker; the first choice may have to wait for it.
            summary = await Gateway.EventuallyPostAsync(http, $"/api/enrollment/years/{year}/electives", teacher, new { courseId = course }, Patience);
        }
        Assert.Equal(16m, summary.GetProperty("electiveHoursChosen").GetDecimal());
        Assert.Equal(0m, summary.GetProperty("shortBy").GetDecimal());

        // The rules a teacher meets on the way, with the rule named: the same course twice, and a course of a topic
        // the school did not choose; neither changes the hours chosen.
        var twice = await Gateway.SendOkAsync(http, HttpMethod.Post, $"/api/enrollment/years/{year}/electives", teacher,
            new { courseId = electives[0] }, HttpStatusCode.Conflict);
        Assert.Equal("already-enrolled", twice.GetProperty("rule").GetString());
        var inChosen = new HashSet<Guid>();
        foreach (var topic in chosen)
        {
            var page = await Gateway.GetAsync(http, $"/api/catalog/courses?topic={topic}&pageSize=100", teacher);
            inChosen.UnionWith(page.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("id").GetGuid()));
        }
        var unchosen = topics.EnumerateArray().Skip(3).First().GetProperty("id").GetGuid();
        var outside = (await Gateway.GetAsync(http, $"/api/catalog/courses?topic={unchosen}&pageSize=100", teacher))
            .GetProperty("items").EnumerateArray().Select(c => c.GetProperty("id").GetGuid()).First(id => !inChosen.Contains(id));
        var refused = await Gateway.SendOkAsync(http, HttpMethod.Post, $"/api/enrollment/years/{year}/electives", teacher,
            new { courseId = outside }, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("outside-school-topics", refused.GetProperty("rule").GetString());
        var mine = await Gateway.GetAsync(http, $"/api/enrollment/years/{year}/me", teacher);
        Assert.Equal(4, mine.GetProperty("electiveCourses").GetArrayLength());

        // The learning side's reports: out of order and one of them twice; the course completes once.
        var platform = await Gateway.SignInAsync(http, "learning-platform", password);
        var teacherId = (await Gateway.GetAsync(http, "/api/directory/account", teacher)).GetProperty("teacherId").GetGuid();
        object Report(string id, int minutes, decimal percent, bool? test = null, bool? assignment = null) => new
        {
            reportId = $"{id}-{teacherId:N}", teacherId, courseId = electives[0], programYear = year, minutesStudied = minutes, percent,
            testPassed = test, assignmentHandedIn = assignment,
        };
        await Gateway.SendOkAsync(http, HttpMethod.Post, "/api/enrollment/progress", platform,
            new { reports = new[] { Report("r3", 240, 100, test: true), Report("r1", 30, 20), Report("r2", 0, 0, assignment: true) } });
        var again = await Gateway.SendOkAsync(http, HttpMethod.Post, "/api/enrollment/progress", platform,
            new { reports = new[] { Report("r3", 240, 100, test: true), Report("r4", 250, 100) } });
        Assert.Equal(1, again.GetProperty("duplicates").GetInt32());
        var transcript = await Gateway.EventuallyAsync(http, "/api/credits/me/transcript", teacher,
            t => t.GetProperty("entries").GetArrayLength() == 1, Patience, "the completed course to be credited");
        Assert.Equal(4m, transcript.GetProperty("totalHours").GetDecimal());

        await RaceForSeatsAsync(http, password, year, output);
    }

    /// <summary>More kindergarten teachers than seats click at once: exactly the capacity is seated, the rest wait in order.</summary>
    private static async Task RaceForSeatsAsync(HttpClient http, string password, string year, ITestOutputHelper output)
    {
        var operatorToken = await Gateway.SignInAsync(http, "operator", password);
        var page = await Gateway.GetAsync(http, "/api/catalog/courses?mode=concentrated&stage=kindergarten", operatorToken);
        var courseId = page.GetProperty("items")[0].GetProperty("id").GetGuid();
        var course = await Gateway.GetAsync(http, $"/api/catalog/courses/{courseId}", operatorToken);
        var session = course.GetProperty("sessions")[0];
        var sessionId = session.GetProperty("id").GetGuid();
        var capacity = session.GetProperty("capacity").GetInt32();

        var schools = await Gateway.GetAsync(http, "/api/directory/organisations?kind=school", operatorToken);
        var kindergartens = schools.EnumerateArray()
            .Where(s => s.GetProperty("stages").EnumerateArray().Select(x => x.GetString()).SequenceEqual(["kindergarten"]))
            .Select(s => s.GetProperty("code").GetString()!);
        var ids = new List<JsonElement>();
        foreach (var code in kindergartens)
        {
            var teachers = await Gateway.GetAsync(http, $"/api/directory/teachers?schoolCode={code}", operatorToken);
            ids.AddRange(teachers.EnumerateArray().Where(t => t.GetProperty("inPost").GetBoolean()));
        }
        var racers = new List<string>();
        foreach (var teacher in ids.Take(capacity + 20))
        {
            racers.Add(await Gateway.TeacherLoginAsync(http, teacher, operatorToken));
        }
        Assert.True(racers.Count > capacity, $"the demo has {racers.Count} kindergarten teachers for {capacity} seats");
        var tokens = new List<string>();
        foreach (var id in racers)
        {
            tokens.Add(await Gateway.SignInAsync(http, id, password));
        }
        // Enrollment must know every racer before the race.
        await Gateway.EventuallyAsync(http, $"/api/enrollment/years/{year}/me", tokens[^1], m => m.GetProperty("required").GetArrayLength() > 0, Patience,
            "the last racer's year to be known to Enrollment");

        var statuses = await Task.WhenAll(tokens.Select(async token =>
        {
            using var response = await Gateway.SendAsync(http, HttpMethod.Post, $"/api/enrollment/years/{year}/electives", token,
                new { courseId, sessionId });
            return response.StatusCode;
        }));
        output.WriteLine($"race: {racers.Count} teachers for {capacity} seats → {statuses.Count(s => s == HttpStatusCode.Created)} seated");
        Assert.Equal(capacity, statuses.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(racers.Count - capacity, statuses.Count(s => s == HttpStatusCode.Conflict));

        // Two of those turned away join the waiting list; a seated teacher drops out; the first in line gets the seat.
        var turnedAway = tokens.Where((_, i) => statuses[i] == HttpStatusCode.Conflict).Take(2).ToList();
        foreach (var token in turnedAway)
        {
            await Gateway.SendOkAsync(http, HttpMethod.Post, $"/api/enrollment/years/{year}/sessions/{sessionId}/waiting-list", token, null,
                HttpStatusCode.Created);
        }
        var seated = tokens[Array.IndexOf(statuses, HttpStatusCode.Created)];
        await Gateway.SendOkAsync(http, HttpMethod.Delete, $"/api/enrollment/years/{year}/electives/{courseId}", seated, null);
        var promoted = await Gateway.GetAsync(http, $"/api/enrollment/years/{year}/me", turnedAway[0]);
        Assert.Contains(promoted.GetProperty("electiveCourses").EnumerateArray(), c => c.GetProperty("courseId").GetGuid() == courseId);
        var stillWaiting = await Gateway.GetAsync(http, $"/api/enrollment/years/{year}/me", turnedAway[1]);
        Assert.DoesNotContain(stillWaiting.GetProperty("electiveCourses").EnumerateArray(), c => c.GetProperty("courseId").GetGuid() == courseId);
    }
}

/// <summary>Calls through the gateway with a bearer token, insisting on the status a user would see.</summary>
internal static class Gateway
{
    public static async Task<string> SignInAsync(HttpClient http, string login, string password)
    {
        using var response = await http.PostAsJsonAsync("/api/directory/sign-in", new { login, password });
        Assert.True(response.IsSuccessStatusCode, $"sign-in as {login}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
    }

    public static Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string token, object? body = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return http.SendAsync(request);
    }

    public static async Task<JsonElement> SendOkAsync(HttpClient http, HttpMethod method, string path, string token, object? body,
        HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await SendAsync(http, method, path, token, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: expected {expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public static Task<JsonElement> GetAsync(HttpClient http, string path, string token) => SendOkAsync(http, HttpMethod.Get, path, token, null);

    /// <summary>A teacher's login, their ID number: lists show it masked, so an administrator reads it in full (an audited read).</summary>
    public static async Task<string> TeacherLoginAsync(HttpClient http, JsonElement teacher, string adminToken) =>
        (await GetAsync(http, $"/api/directory/teachers/{teacher.GetProperty("id").GetGuid()}/national-id", adminToken)).GetProperty("nationalId").GetString()!;

    public static async Task<JsonElement> EventuallyAsync(HttpClient http, string path, string token, Func<JsonElement, bool> condition, TimeSpan patience,
        string what)
    {
        var deadline = DateTime.UtcNow + patience;
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            using var response = await SendAsync(http, HttpMethod.Get, path, token);
            last = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode && condition(JsonDocument.Parse(last).RootElement))
            {
                return JsonDocument.Parse(last).RootElement.Clone();
            }
            await Task.Delay(500);
        }
        throw new Xunit.Sdk.XunitException($"waited {patience.TotalSeconds:0} s for {what}; last answer: {last}");
    }

    public static async Task<JsonElement> EventuallyPostAsync(HttpClient http, string path, string token, object body, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            using var response = await SendAsync(http, HttpMethod.Post, path, token, body);
            last = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.Created)
            {
                return JsonDocument.Parse(last).RootElement.Clone();
            }
            await Task.Delay(500);
        }
        throw new Xunit.Sdk.XunitException($"waited {patience.TotalSeconds:0} s for POST {path} to succeed; last answer: {last}");
    }
}
