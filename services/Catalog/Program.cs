using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.ServiceDefaults;
using TrainingPlatform.Services.Catalog;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddServiceDatabase(CatalogApi.DatabaseName, typeof(CatalogApi).Assembly);
builder.AddAuditArchiving(CatalogApi.ServiceName);
builder.AddServiceMessaging(CatalogApi.ServiceName, typeof(CatalogApi).Assembly);
builder.AddCatalogFeatures();
builder.AddPlatformOpenApi("培训平台 · 课程目录 API", "省级平台运营者发布的培训年度、学时类别与课程、学校选择的选修专题、必修课程包。");

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapPlatformOpenApi();
app.MapCatalogEndpoints();

await app.RunAsync();
