using ImageMeta.Bench.Store;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ImageMeta.Store.Tests;

/// <summary>
/// The correctness part of bench/store at 2,000 rows: the bulk load (SQLite transactions, PostgreSQL binary COPY), the
/// recounted summaries, and every query the bench times, checked against what the rows are (similar images and
/// duplicatesOf against a linear scan). The timings are not asserted; the full-size run stays out of the suite.
/// </summary>
public sealed class StoreBenchTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("imagemeta-store-bench-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task The_bench_seeds_and_answers_correctly_on_sqlite()
    {
        var provider = new SqliteStoreProvider(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_folder, "metadata.db"), Pooling = false }.ToString());

        var result = await new StoreBench("SQLite", provider, () => Task.FromResult(0L)).RunAsync(2000, samples: 5, upserts: 40, default);

        Assert.Empty(result.Failures);
    }

    [SkippableFact]
    public async Task The_bench_seeds_and_answers_correctly_on_postgres()
    {
        var server = Environment.GetEnvironmentVariable("IMAGEMETA_TEST_POSTGRES");
        Skip.If(server is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase),
            "IMAGEMETA_TEST_POSTGRES is not set (a PostgreSQL connection string); scripts/test.sh starts a private server when PostgreSQL is installed");
        var database = "imagemeta_bench_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new NpgsqlConnection(server ?? throw new InvalidOperationException("CI=true but IMAGEMETA_TEST_POSTGRES is not set.")))
        {
            await admin.OpenAsync();
            await new NpgsqlCommand($"CREATE DATABASE {database}", admin).ExecuteNonQueryAsync();
        }

        try
        {
            using var provider = new PostgresStoreProvider(new NpgsqlConnectionStringBuilder(server) { Database = database }.ToString());

            var result = await new StoreBench("PostgreSQL", provider, () => Task.FromResult(0L)).RunAsync(2000, samples: 5, upserts: 40, default);

            Assert.Empty(result.Failures);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(server);
            await admin.OpenAsync();
            await new NpgsqlCommand($"DROP DATABASE {database} WITH (FORCE)", admin).ExecuteNonQueryAsync();
        }
    }
}
