using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.ServiceDefaults;
using TrainingPlatform.Services.Directory;
using TrainingPlatform.Services.Directory.Accounts;
using TrainingPlatform.Services.Directory.Organisations;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddServiceDatabase(DirectoryApi.DatabaseName, typeof(DirectoryApi).Assembly);
builder.AddServiceMessaging(DirectoryApi.ServiceName, typeof(DirectoryApi).Assembly);
builder.AddDirectoryAccounts();
builder.Services.AddOpenApi();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapOpenApi().AllowAnonymous();
app.MapSignInEndpoints();
app.MapAccountEndpoints();
app.MapOrganisationEndpoints();

await app.RunAsync();
