using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.ServiceDefaults;
using TrainingPlatform.Services.Directory;
using TrainingPlatform.Services.Directory.Accounts;
using TrainingPlatform.Services.Directory.Demo;
using TrainingPlatform.Services.Directory.Imports;
using TrainingPlatform.Services.Directory.Organisations;
using TrainingPlatform.Services.Directory.Teachers;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddServiceDatabase(DirectoryApi.DatabaseName, typeof(DirectoryApi).Assembly);
builder.AddServiceMessaging(DirectoryApi.ServiceName, typeof(DirectoryApi).Assembly);
builder.AddDirectoryAccounts();
builder.Services.AddSingleton<TeacherStore>();
builder.Services.AddHostedService<DemoData>();
builder.Services.AddSingleton<TeacherImport>();
builder.Services.AddSingleton<SchoolImport>();
builder.Services.AddHostedService<ImportWorker>();
builder.Services.AddOpenApi();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapOpenApi().AllowAnonymous();
// All under one group, so no endpoint, today's or a later one, reads a list with a null element.
var api = app.MapGroup("").RefuseNullElements();
api.MapSignInEndpoints();
api.MapAccountEndpoints();
api.MapOrganisationEndpoints();
api.MapTeacherEndpoints();
api.MapTeacherAccountEndpoints();
api.MapImportEndpoints();
api.MapParkedMessageEndpoints(DirectoryApi.ServiceName);

await app.RunAsync();
