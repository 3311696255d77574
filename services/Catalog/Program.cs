using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.ServiceDefaults;
using TrainingPlatform.Services.Catalog;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddServiceDatabase(CatalogApi.DatabaseName, typeof(CatalogApi).Assembly);
builder.AddServiceMessaging(CatalogApi.ServiceName, typeof(CatalogApi).Assembly);
builder.AddCatalogFeatures();
builder.Services.AddOpenApi();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapOpenApi().AllowAnonymous();
app.MapCatalogEndpoints();

await app.RunAsync();
