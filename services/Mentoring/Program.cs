using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.ServiceDefaults;
using TrainingPlatform.Services.Mentoring;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddServiceDatabase(MentoringApi.DatabaseName, typeof(MentoringApi).Assembly);
builder.AddAuditArchiving(MentoringApi.ServiceName);
builder.AddServiceMessaging(MentoringApi.ServiceName, typeof(MentoringApi).Assembly);
builder.AddMentoringFeatures();
builder.AddPlatformOpenApi("培训平台 · 研修指导 API", "研修组与指导教师、导师结对、工作坊、名师工作室、帮扶，以及各项研修活动的学时记录。");

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapPlatformOpenApi();
app.MapMentoringEndpoints();

await app.RunAsync();
