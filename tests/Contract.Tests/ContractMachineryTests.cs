using System.Text;
using System.Text.Json;
using CsCheck;
using Xunit;

namespace TrainingPlatform.Contract.Tests;

/// <summary>
/// The contract test's own parts against a small document of their own (no servers): generated values keep their
/// schemas, the malformed requests include the ones that found real defects, the validator and checker say no when
/// they should.
/// </summary>
public sealed class ContractMachineryTests
{
    private const string Document = """
        {
          "openapi": "3.1.1",
          "security": [ { "Bearer": [] } ],
          "paths": {
            "/courses": {
              "post": {
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Course" } } } },
                "responses": {
                  "201": { "description": "", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Course" } } } },
                  "400": { "description": "", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
                }
              }
            },
            "/compliance": {
              "get": {
                "parameters": [ { "name": "cycle", "in": "query", "schema": { "type": "integer", "format": "int32" } } ],
                "responses": { "200": { "description": "" } }
              }
            },
            "/teachers/{id}": {
              "get": {
                "security": [],
                "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } } ],
                "responses": { "200": { "description": "" } }
              }
            },
            "/imports": {
              "post": {
                "requestBody": { "content": { "multipart/form-data": { "schema": {
                  "type": "object", "required": ["file"], "properties": { "file": { "type": "string", "format": "binary" } } } } } },
                "responses": { "202": { "description": "" } }
              }
            }
          },
          "components": {
            "schemas": {
              "Course": {
                "type": "object",
                "required": ["code", "stages", "sessions"],
                "properties": {
                  "id": { "type": "string", "format": "uuid" },
                  "code": { "type": "string", "minLength": 2, "maxLength": 8 },
                  "stages": { "type": "array", "items": { "type": "string", "enum": ["primary", "junior"] } },
                  "sessions": { "type": ["null", "array"], "items": { "$ref": "#/components/schemas/Session" } },
                  "startsOn": { "type": "string", "format": "date" },
                  "at": { "type": "string", "format": "date-time" },
                  "hours": { "oneOf": [ { "type": "null" }, { "type": "number", "minimum": 0, "maximum": 100 } ] },
                  "byCategory": { "type": "object", "additionalProperties": { "type": "integer" } },
                  "kind": { "type": "string", "pattern": "^(teachers|schools)$" }
                }
              },
              "Session": {
                "type": "object",
                "required": ["capacity"],
                "properties": {
                  "place": { "type": ["null", "string"], "maxLength": 20 },
                  "capacity": { "type": "integer", "format": "int32", "minimum": 1, "maximum": 500 }
                }
              },
              "Problem": {
                "type": "object", "required": ["title", "status"],
                "properties": { "title": { "type": "string" }, "status": { "type": "integer" } }
              }
            }
          }
        }
        """;

    private readonly ApiDocument _document = new(Document);

    private ApiOperation Operation(string name) => _document.Operations.Single(o => o.Name == name);

    private JsonElement Course => JsonDocument.Parse("""{ "$ref": "#/components/schemas/Course" }""").RootElement;

    [Fact]
    public void Reads_operations_parameters_bodies_responses_and_who_may_call()
    {
        Assert.Equal(["POST /courses", "GET /compliance", "GET /teachers/{id}", "POST /imports"], _document.Operations.Select(o => o.Name));
        Assert.True(Operation("GET /teachers/{id}").Anonymous);
        Assert.False(Operation("POST /courses").Anonymous);
        Assert.Equal(["201", "400"], Operation("POST /courses").Responses.Keys);
        Assert.True(Operation("GET /teachers/{id}").Parameters.Single().Required);
    }

    [Theory]
    [InlineData(Shape.Valid)]
    [InlineData(Shape.Full)]
    [InlineData(Shape.Minimal)]
    [InlineData(Shape.Maximal)]
    public void Generated_values_keep_their_schema(Shape shape)
    {
        var gen = new SchemaGen(_document, new ValuePool());
        var validator = new SchemaValidator(_document);
        for (var seed = 1UL; seed <= 200; seed++)
        {
            var value = gen.For(Course, shape).Generate(new PCG(7, seed), null!, out _);
            var json = JsonSerializer.SerializeToElement(value);
            var errors = validator.Validate(Course, json);
            Assert.True(errors.Count == 0, $"{shape} seed {seed}: {json} — {string.Join("; ", errors)}");
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_requests()
    {
        IEnumerable<string> Requests() => new RequestFactory(new SchemaGen(_document, new ValuePool()))
            .Malformed(Operation("POST /courses"), new PCG(1, ContractTests.Seed), 16, 24).Select(r => r.Display);
        Assert.Equal(Requests(), Requests());
    }

    [Fact]
    public void Malformed_requests_include_null_list_elements_and_integers_out_of_range()
    {
        var factory = new RequestFactory(new SchemaGen(_document, new ValuePool()));
        var course = factory.Malformed(Operation("POST /courses"), new PCG(1, ContractTests.Seed), 16, 24);
        Assert.Contains(course, r => r.Kind == "malformed:null-in-array" && r.Body!.Display.Contains("\"sessions\":[null]", StringComparison.Ordinal));
        Assert.Contains(course, r => r.Kind == "malformed:null-in-array" && r.Body!.Display.Contains("\"stages\":[null]", StringComparison.Ordinal));
        Assert.Contains(course, r => r.Kind == "malformed:invalid-json");
        Assert.Contains(course, r => r.Kind == "malformed:empty-body");

        var compliance = factory.Malformed(Operation("GET /compliance"), new PCG(2, ContractTests.Seed), 16, 24).Select(r => r.Url).ToList();
        Assert.Contains("/compliance?cycle=0", compliance);
        Assert.Contains("/compliance?cycle=-5", compliance);
        Assert.Contains("/compliance?cycle=9999", compliance);
        Assert.Contains("/compliance?cycle=2147483647", compliance);

        var teacher = factory.Malformed(Operation("GET /teachers/{id}"), new PCG(3, ContractTests.Seed), 16, 24);
        Assert.Contains(teacher, r => r.Url == "/teachers/not-a-uuid" && r.Tolerated == 404);
    }

    [Fact]
    public async Task A_multipart_operation_gets_a_small_csv_file_part_and_malformed_forms()
    {
        var factory = new RequestFactory(new SchemaGen(_document, new ValuePool()));
        var valid = factory.Valid(Operation("POST /imports"), new PCG(4, ContractTests.Seed), Shape.Valid, "valid");
        using var content = valid.Body!.Create();
        Assert.IsType<MultipartFormDataContent>(content);
        var text = await content.ReadAsStringAsync();
        Assert.Contains("name=file; filename=file.csv", text, StringComparison.Ordinal);
        Assert.Contains("身份证号", text, StringComparison.Ordinal);

        var malformed = factory.Malformed(Operation("POST /imports"), new PCG(4, ContractTests.Seed), 16, 24).Select(r => r.What).ToList();
        Assert.Contains("empty-form", malformed);
        Assert.Contains("empty-file", malformed);
        Assert.Contains("garbage-file", malformed);
    }

    [Theory]
    [InlineData("""{"code":"AB","stages":["primary"],"sessions":null}""", "")]
    [InlineData("""{"code":"AB","stages":["primary"],"sessions":[{"capacity":1}],"hours":null,"byCategory":{"a":1}}""", "")]
    [InlineData("""{"code":"A","stages":["primary"],"sessions":null}""", "$.code: length 1 below minLength 2")]
    [InlineData("""{"code":"AB","stages":["senior"],"sessions":null}""", "$.stages[0]: \"senior\" is not one of the enum")]
    [InlineData("""{"code":"AB","stages":[null],"sessions":null}""", "$.stages[0]: expected string, got null")]
    [InlineData("""{"code":"AB","stages":[],"sessions":[{"capacity":0}]}""", "$.sessions[0].capacity: 0 below minimum 1")]
    [InlineData("""{"code":"AB","stages":[],"sessions":[{}]}""", "$.sessions[0]: required member 'capacity' is missing")]
    [InlineData("""{"code":"AB","stages":[],"sessions":null,"hours":101}""", "$.hours: matches 0 of oneOf")]
    [InlineData("""{"code":"AB","stages":[],"sessions":null,"id":"x"}""", "$.id: \"x\" is not a uuid")]
    [InlineData("""{"code":"AB","stages":[],"sessions":null,"startsOn":"2025-02-30"}""", "$.startsOn: \"2025-02-30\" is not a date")]
    [InlineData("""{"code":"AB","stages":[],"sessions":null,"byCategory":{"a":"1"}}""", "$.byCategory.a: expected integer")]
    [InlineData("""{"code":"AB","stages":[],"sessions":null,"kind":"pupils"}""", "does not match pattern")]
    [InlineData("""{"stages":[],"sessions":null}""", "$: required member 'code' is missing")]
    public void The_validator_reads_the_schema_subset_the_documents_use(string json, string expected)
    {
        var errors = new SchemaValidator(_document).Validate(Course, JsonDocument.Parse(json).RootElement);
        if (expected.Length == 0)
        {
            Assert.Empty(errors);
        }
        else
        {
            Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData(500, "text/plain", "System.ArgumentOutOfRangeException: cycle", ResponseChecker.ServerError)]
    [InlineData(404, "application/problem+json", """{"title":"x","status":404}""", ResponseChecker.UndocumentedStatus)]
    [InlineData(400, "text/plain", "bad", ResponseChecker.NotProblemJson)]
    [InlineData(201, "application/json", """{"code":"AB","stages":["x"],"sessions":null}""", ResponseChecker.SchemaMismatch)]
    [InlineData(201, "text/csv", "a,b", ResponseChecker.UndocumentedContentType)]
    [InlineData(201, "application/json", "", ResponseChecker.MissingBody)]
    [InlineData(201, "application/json", """{"code":"AB","stages":["junior"],"sessions":null}""", "")]
    [InlineData(400, "application/problem+json", """{"title":"x","status":400}""", "")]
    public void The_checker_holds_each_response_to_its_documented_response(int status, string mediaType, string body, string expected)
    {
        var breaches = new ResponseChecker(_document).Check(Operation("POST /courses"), status, mediaType, Encoding.UTF8.GetBytes(body)).ToList();
        Assert.Equal(expected, string.Join(",", breaches.Select(b => b.Kind)));
    }

    [Fact]
    public void The_checker_wants_no_body_where_the_document_describes_none_and_tolerates_a_route_miss_for_a_broken_path()
    {
        var checker = new ResponseChecker(_document);
        Assert.Equal([ResponseChecker.UndocumentedBody],
            checker.Check(Operation("GET /compliance"), 200, "application/json", "{}"u8.ToArray()).Select(b => b.Kind));
        Assert.Empty(checker.Check(Operation("GET /teachers/{id}"), 404, "application/problem+json", """{"title":"x","status":404}"""u8.ToArray(), tolerated: 404));
        Assert.Equal([ResponseChecker.NotProblemJson],
            checker.Check(Operation("GET /teachers/{id}"), 404, null, [], tolerated: 404).Select(b => b.Kind));
    }
    private const string RangedDocument = """
        {
          "openapi": "3.1.1",
          "paths": {
            "/reports/compliance": {
              "get": {
                "parameters": [
                  { "name": "cycle", "in": "query", "required": true, "schema": { "type": "integer", "format": "int32", "minimum": 1, "maximum": 10 } },
                  { "name": "page", "in": "query", "required": true, "schema": { "type": "integer", "format": "int32" } }
                ],
                "responses": {
                  "200": { "description": "", "content": { "application/json": { "schema": { "type": "object" } } } },
                  "400": { "description": "", "content": { "application/problem+json": { "schema": { "type": "object" } } } }
                }
              }
            }
          }
        }
        """;

    [Fact]
    public void A_2xx_to_a_request_that_breaks_a_declared_range_is_accepted_malformed_and_one_the_document_allows_is_not()
    {
        var document = new ApiDocument(RangedDocument);
        var operation = document.Operations.Single();
        var malformed = new RequestFactory(new SchemaGen(document, new ValuePool())).Malformed(operation, new PCG(5, ContractTests.Seed), 64, 64);

        // cycle declares 1..10: 0 breaks it; page declares no range: 0 is odd, not wrong.
        var cycleZero = malformed.Single(r => r.What == "out-of-range=0 query:cycle");
        var pageZero = malformed.Single(r => r.What == "out-of-range=0 query:page");
        Assert.NotNull(cycleZero.Breaks);
        Assert.Null(pageZero.Breaks);
        Assert.All(malformed.Where(r => r.What.StartsWith("missing-required", StringComparison.Ordinal) || r.What.StartsWith("wrong-type", StringComparison.Ordinal)),
            r => Assert.NotNull(r.Breaks));

        var checker = new ResponseChecker(document);
        var ok = """{"cycleStart":-4}"""u8.ToArray();
        Assert.Equal([ResponseChecker.AcceptedMalformed],
            checker.Check(operation, 200, "application/json", ok, cycleZero.Tolerated, cycleZero.Breaks).Select(b => b.Kind));
        Assert.Empty(checker.Check(operation, 200, "application/json", ok, pageZero.Tolerated, pageZero.Breaks));
        Assert.Empty(checker.Check(operation, 400, "application/problem+json", """{"title":"x","status":400}"""u8.ToArray(), cycleZero.Tolerated, cycleZero.Breaks));
    }

    [Fact]
    public void Body_changes_break_the_document_only_where_it_declares_the_constraint()
    {
        var malformed = new RequestFactory(new SchemaGen(_document, new ValuePool())).Malformed(Operation("POST /courses"), new PCG(6, ContractTests.Seed), 500, 500);

        // capacity declares 1..500; code declares maxLength 8; stages' items an enum; code is required.
        Assert.All(malformed.Where(r => r.What.StartsWith("out-of-range=", StringComparison.Ordinal) && r.What.EndsWith("$.sessions[0].capacity", StringComparison.Ordinal)),
            r => Assert.Contains("capacity", r.Breaks, StringComparison.Ordinal));
        Assert.Contains("maxLength", malformed.Single(r => r.What == "huge-string $.code").Breaks, StringComparison.Ordinal);
        Assert.NotNull(malformed.Single(r => r.What == "unknown-enum $.stages").Breaks);
        Assert.NotNull(malformed.Single(r => r.What == "missing-required $.code").Breaks);
        Assert.NotNull(malformed.Single(r => r.What == "invalid-json").Breaks);
        Assert.NotNull(malformed.Single(r => r.What == "null-required $.code").Breaks);
    }
}
