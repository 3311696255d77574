using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.ServiceDefaults;
using TrainingPlatform.Services.Enrollment;
using TrainingPlatform.Services.Enrollment.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.PrepareStatementsAutomatically(EnrollmentApi.DatabaseName);
builder.AddServiceDatabase(EnrollmentApi.DatabaseName, typeof(EnrollmentApi).Assembly);
builder.AddAuditArchiving(EnrollmentApi.ServiceName);
builder.AddServiceMessaging(EnrollmentApi.ServiceName, typeof(EnrollmentApi).Assembly);
builder.AddEnrollmentFeatures();
builder.AddPlatformOpenApi("培训平台 · 选课与学习 API", "教师选课（必修推送、选修自选）、学习平台上报学习进度、学校与区县的学习进度查询与导出。");

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapPlatformOpenApi();
app.MapEnrollmentEndpoints();

await app.RunAsync();
