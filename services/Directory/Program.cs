using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.ServiceDefaults;
using TrainingPlatform.Services.Directory;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddServiceDatabase(DirectoryApi.DatabaseName, typeof(DirectoryApi).Assembly);
builder.AddAuditArchiving(DirectoryApi.ServiceName);
builder.AddServiceMessaging(DirectoryApi.ServiceName, typeof(DirectoryApi).Assembly);
builder.AddDirectoryFeatures();
builder.AddPlatformOpenApi("培训平台 · 机构与人员 API", "省、市、县区、学校与教师档案，账号与登录，访问令牌签发（JWKS），教师与学校的批量导入。");

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapPlatformOpenApi();
app.MapDirectoryEndpoints();

await app.RunAsync();
