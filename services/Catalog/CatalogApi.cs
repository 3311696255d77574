namespace TrainingPlatform.Services.Catalog;

/// <summary>The Catalog service: courses, topics, the program year and its windows, school topic choices.</summary>
public sealed class CatalogApi
{
    private CatalogApi()
    {
    }

    public const string ServiceName = "catalog";
    public const string DatabaseName = "catalogdb";
}
