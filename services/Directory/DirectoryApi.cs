namespace TrainingPlatform.Services.Directory;

/// <summary>The Directory service: organisations, teachers, accounts and sign-in.</summary>
public sealed class DirectoryApi
{
    private DirectoryApi()
    {
    }

    public const string ServiceName = "directory";
    public const string DatabaseName = "directorydb";
}
