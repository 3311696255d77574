using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.ServiceDefaults;
using TrainingPlatform.Services.Credits;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddServiceDatabase(CreditsApi.DatabaseName, typeof(CreditsApi).Assembly);
builder.AddAuditArchiving(CreditsApi.ServiceName);
builder.AddServiceMessaging(CreditsApi.ServiceName, typeof(CreditsApi).Assembly);
builder.AddCreditsFeatures();
builder.AddPlatformOpenApi("培训平台 · 学时 API", "学时台账（每条学时只记一次）、线下学时申报的四步审核、学时政策、五年周期达标判定与合格证书。");

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapPlatformOpenApi();
app.MapCreditsEndpoints();

await app.RunAsync();
