using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.ServiceDefaults;
using TrainingPlatform.Services.Enrollment;
using TrainingPlatform.Services.Enrollment.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.PrepareStatementsAutomatically(EnrollmentApi.DatabaseName);
builder.AddServiceDatabase(EnrollmentApi.DatabaseName, typeof(EnrollmentApi).Assembly);
builder.AddServiceMessaging(EnrollmentApi.ServiceName, typeof(EnrollmentApi).Assembly);
builder.AddEnrollmentFeatures();
builder.Services.AddOpenApi();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapOpenApi().AllowAnonymous();
app.MapEnrollmentEndpoints();

await app.RunAsync();
