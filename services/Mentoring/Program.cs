using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.ServiceDefaults;
using TrainingPlatform.Services.Mentoring;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddServiceDatabase(MentoringApi.DatabaseName, typeof(MentoringApi).Assembly);
builder.AddServiceMessaging(MentoringApi.ServiceName, typeof(MentoringApi).Assembly);
builder.AddMentoringFeatures();
builder.Services.AddOpenApi();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapOpenApi().AllowAnonymous();
app.MapMentoringEndpoints();

await app.RunAsync();
