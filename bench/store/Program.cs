using System.Globalization;
using ImageMeta.Bench.Store;
using ImageMeta.Store;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Npgsql;

// Usage: ImageMeta.Bench.Store --rows N [--sqlite-rows N] [--databases sqlite,postgres,sqlserver] [--postgres <connection string>]
//        [--sqlserver <connection string>] [--samples 200] [--upserts 4000] [--keep-postgres <database>] [--keep-sqlite <folder>]
// PostgreSQL and SQL Server: a database of its own is created on the server and dropped afterwards; with
// --keep-postgres the named database is created if missing, kept, and measured again without loading when it already
// holds the rows (ten million take a while to load).
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var a = 0; a + 1 < args.Length; a += 2)
{
    options[args[a].TrimStart('-')] = args[a + 1];
}

long Number(string key, long fallback) => options.TryGetValue(key, out var text) ? long.Parse(text.Replace("_", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture) : fallback;
var rows = Number("rows", 100_000);
var sqliteRows = Number("sqlite-rows", rows);
var samples = (int)Number("samples", 200);
var upserts = (int)Number("upserts", 4000);
var databases = (options.GetValueOrDefault("databases") ?? "sqlite,postgres").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
var results = new List<StoreBenchResult>();

if (databases.Contains("sqlite"))
{
    // --keep-sqlite FOLDER: the database file in that folder is kept, and measured again without loading when it holds the rows.
    var kept = options.GetValueOrDefault("keep-sqlite");
    var folder = kept is null ? Directory.CreateTempSubdirectory("imagemeta-bench-store-").FullName : Directory.CreateDirectory(kept).FullName;
    var file = Path.Combine(folder, "metadata.db");
    var provider = new SqliteStoreProvider(new SqliteConnectionStringBuilder { DataSource = file, DefaultTimeout = 120 }.ToString());
    results.Add(await new StoreBench("SQLite (file, WAL)", provider, () => Task.FromResult(Directory.EnumerateFiles(folder).Sum(f => new FileInfo(f).Length)))
        .RunAsync(sqliteRows, samples, upserts, default, keep: kept is not null));
    SqliteConnection.ClearAllPools();
    if (kept is null)
    {
        Directory.Delete(folder, recursive: true);
    }
}

if (databases.Contains("postgres") && options.GetValueOrDefault("postgres") is { } server)
{
    var kept = options.GetValueOrDefault("keep-postgres");
    if (kept is not null && !System.Text.RegularExpressions.Regex.IsMatch(kept, "^[a-z_][a-z0-9_]{0,62}$"))
    {
        throw new ArgumentException("--keep-postgres takes a lower-case database name.");
    }

    var database = kept ?? "imagemeta_bench_" + Guid.NewGuid().ToString("N")[..8];
    await using (var admin = new NpgsqlConnection(server))
    {
        await admin.OpenAsync();
        var exists = await new NpgsqlCommand($"SELECT 1 FROM pg_database WHERE datname = '{database}'", admin).ExecuteScalarAsync() is not null;
        if (!exists)
        {
            await new NpgsqlCommand($"CREATE DATABASE {database}", admin).ExecuteNonQueryAsync();
        }
    }

    var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = database, MaxPoolSize = 32, CommandTimeout = 0 }.ToString();
    using var provider = new PostgresStoreProvider(connectionString);
    results.Add(await new StoreBench("PostgreSQL 15", provider, async () =>
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return (long)(await new NpgsqlCommand("SELECT pg_database_size(current_database())", connection).ExecuteScalarAsync())!;
    }).RunAsync(rows, samples, upserts, default, keep: kept is not null));
    NpgsqlConnection.ClearAllPools();
    if (kept is null)
    {
        await using var cleanup = new NpgsqlConnection(server);
        await cleanup.OpenAsync();
        await new NpgsqlCommand($"DROP DATABASE {database} WITH (FORCE)", cleanup).ExecuteNonQueryAsync();
    }
}

if (databases.Contains("sqlserver") && options.GetValueOrDefault("sqlserver") is { } sqlServer)
{
    var database = "imagemeta_bench_" + Guid.NewGuid().ToString("N")[..8];
    await using (var admin = new SqlConnection(sqlServer))
    {
        await admin.OpenAsync();
        await new SqlCommand($"CREATE DATABASE {database}", admin).ExecuteNonQueryAsync();
    }

    var connectionString = new SqlConnectionStringBuilder(sqlServer) { InitialCatalog = database }.ToString();
    results.Add(await new StoreBench("SQL Server", new SqlServerStoreProvider(connectionString), async () =>
    {
        await using var connection = new SqlConnection(connectionString);
        await connection.OpenAsync();
        return Convert.ToInt64(await new SqlCommand("SELECT SUM(CAST(size AS BIGINT)) * 8192 FROM sys.database_files", connection).ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }).RunAsync(rows, samples, upserts, default));
    SqlConnection.ClearAllPools();
    await using var cleanup = new SqlConnection(sqlServer);
    await cleanup.OpenAsync();
    await new SqlCommand($"ALTER DATABASE {database} SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE {database}", cleanup).ExecuteNonQueryAsync();
}

Console.WriteLine("| database | rows | seed (s) | keyset page | filtered page | /similar | duplicatesOf | stats | counts by month | bbox, 500 positions | upserts/s (maintained stats) | upserts/s (without) | database on disk | bench RSS | managed heap |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
foreach (var r in results)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {r.Database} | {r.Rows:N0} | {(r.Reused ? "reused" : r.SeedSeconds.ToString("F0", CultureInfo.InvariantCulture))} | {r.KeysetPageP95:F2} | {r.FilteredPageP95:F2} | {r.SimilarP95:F2} | {r.DuplicatesOfP95:F2} | {r.StatsP95:F2} | {r.MonthsP95:F2} | {r.PositionsP95:F2} | {r.UpsertsPerSecond:F0} | {r.UpsertsPerSecondWithoutSummaries:F0} | {r.DatabaseBytes / 1048576.0:F0} MiB | {r.ProcessBytes / 1048576.0:F0} MiB | {r.ManagedHeapBytes / 1048576.0:F0} MiB |"));
}

Console.WriteLine();
Console.WriteLine("Query columns: p95 in ms on a warm cache after ANALYZE (PostgreSQL: VACUUM ANALYZE). Bench RSS is the process's working set");
Console.WriteLine("after a full collection (the store library runs in it); managed heap is what the collection left live.");
var failures = results.SelectMany(r => r.Failures.Select(f => $"{r.Database}: {f}")).ToList();
foreach (var failure in failures)
{
    Console.WriteLine("CHECK FAILED: " + failure);
}

return failures.Count == 0 ? 0 : 1;
