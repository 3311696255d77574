using Microsoft.Extensions.Caching.Memory;
using Npgsql;

namespace TrainingPlatform.Services.Catalog.Courses;

/// <summary>
/// Search answers kept in memory for a short while. On course-selection day a province's teachers type the same few
/// words and pick the same filters; a broad search (one character, a common word) costs PostgreSQL tens of
/// milliseconds of CPU to count and order thousands of matches, the same each time. Keys carry the catalogue's stamp
/// (migration 0004, moved by any change to courses or topics), so an answer is never served after the catalogue
/// changed, on any replica. <c>Catalog:Search:CacheSeconds</c> (default 60; 0 turns the cache off).
/// </summary>
public sealed class SearchCache(IConfiguration configuration) : IDisposable
{
    private const int MaxEntries = 20_000;

    private readonly MemoryCache _answers = new(new MemoryCacheOptions { SizeLimit = MaxEntries });
    private readonly TimeSpan _lifetime = TimeSpan.FromSeconds(configuration.GetValue("Catalog:Search:CacheSeconds", 60));

    public async Task<CoursePage> GetOrSearchAsync(NpgsqlConnection connection, string query, Func<Task<CoursePage>> search,
        CancellationToken cancellationToken)
    {
        if (_lifetime <= TimeSpan.Zero)
        {
            return await search();
        }
        // Read before searching: an answer found under this stamp can only be older than a change made meanwhile, and
        // that change moved the stamp, so it is never read again.
        var stamp = await CourseStore.CatalogueStampAsync(connection, cancellationToken);
        var key = $"{stamp}|{query}";
        if (_answers.TryGetValue(key, out CoursePage? cached))
        {
            return cached!;
        }
        var page = await search();
        _answers.Set(key, page, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = _lifetime });
        return page;
    }

    public void Dispose() => _answers.Dispose();
}
