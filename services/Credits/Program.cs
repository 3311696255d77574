using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.ServiceDefaults;
using TrainingPlatform.Services.Credits;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddServiceDatabase(CreditsApi.DatabaseName, typeof(CreditsApi).Assembly);
builder.AddServiceMessaging(CreditsApi.ServiceName, typeof(CreditsApi).Assembly);
builder.AddCreditsFeatures();
builder.Services.AddOpenApi();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapOpenApi().AllowAnonymous();
app.MapCreditsEndpoints();

await app.RunAsync();
