using Microsoft.Data.Sqlite;
using Npgsql;

namespace ImageMeta.Store.Tests;

/// <summary>The shared suite on SQLite: always runs, on a fresh file per test.</summary>
public sealed class SqliteStoreTests : MetadataStoreSuite, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("imagemeta-store-").FullName;

    protected override string? SkipReason => null;

    protected override Task<SqlMetadataStore> CreateUnmigratedAsync(StoreOptions options, TimeProvider time)
    {
        var connection = new SqliteConnectionStringBuilder { DataSource = Path.Combine(_folder, "metadata.db"), DefaultTimeout = 60, Pooling = false }.ToString();
        return Task.FromResult(new SqlMetadataStore(new SqliteStoreProvider(connection), options: options, time: time));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}

/// <summary>
/// The shared suite on a real PostgreSQL server (<c>IMAGEMETA_TEST_POSTGRES</c>): a fresh database per
/// test, dropped afterwards. Skipped with a reason when the variable is missing, unless <c>CI=true</c>,
/// where the suite runs and fails so CI can never pass without PostgreSQL.
/// </summary>
public sealed class PostgresStoreTests : MetadataStoreSuite, IAsyncLifetime
{
    private readonly string? _server = Environment.GetEnvironmentVariable("IMAGEMETA_TEST_POSTGRES");
    private string? _database;

    protected override string? SkipReason =>
        _server is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? "IMAGEMETA_TEST_POSTGRES is not set (a PostgreSQL connection string); scripts/test.sh starts a private server when PostgreSQL is installed"
            : null;

    protected override async Task<SqlMetadataStore> CreateUnmigratedAsync(StoreOptions options, TimeProvider time)
    {
        Skip.If(SkipReason is not null, SkipReason);
        if (_server is null)
        {
            throw new InvalidOperationException("CI=true but IMAGEMETA_TEST_POSTGRES is not set: the PostgreSQL suite must run in CI.");
        }

        if (_database is null)
        {
            _database = "imagemeta_store_" + Guid.NewGuid().ToString("N")[..12];
            await using var admin = new NpgsqlConnection(_server);
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {_database}", admin);
            await create.ExecuteNonQueryAsync();
        }

        // As the service makes it: the connection string names no pool size, so the store's default applies.
        var connection = new NpgsqlConnectionStringBuilder(_server) { Database = _database }.ToString();
        return new SqlMetadataStore(StoreProvider.Create(new StoreOptions { Provider = StoreProviders.Postgres }, connection, AppContext.BaseDirectory), options: options, time: time);
    }

    [SkippableFact]
    public async Task The_default_pool_stays_below_the_servers_connection_limit()
    {
        var store = await CreateUnmigratedAsync(new StoreOptions(), TimeProvider.System);
        await using var connection = store.Provider.CreateConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int";
        var usable = Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);

        Assert.InRange(((PostgresStoreProvider)store.Provider).MaxPoolSize, 1, usable - 1);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_database is null || _server is null)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_server);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}

/// <summary>
/// The shared suite on SQL Server or Azure SQL (<c>IMAGEMETA_TEST_SQLSERVER</c>, a connection string whose
/// user may create databases). SQL Server cannot run on the CI machine, so this is skipped there.
/// </summary>
public sealed class SqlServerStoreTests : MetadataStoreSuite, IAsyncLifetime
{
    private readonly string? _server = Environment.GetEnvironmentVariable("IMAGEMETA_TEST_SQLSERVER");
    private string? _database;

    protected override string? SkipReason => _server is null ? "IMAGEMETA_TEST_SQLSERVER is not set (SQL Server cannot run on this machine)" : null;

    protected override async Task<SqlMetadataStore> CreateUnmigratedAsync(StoreOptions options, TimeProvider time)
    {
        if (_database is null)
        {
            _database = "imagemeta_store_" + Guid.NewGuid().ToString("N")[..12];
            await using var admin = new Microsoft.Data.SqlClient.SqlConnection(_server);
            await admin.OpenAsync();
            await using var create = new Microsoft.Data.SqlClient.SqlCommand($"CREATE DATABASE [{_database}]", admin);
            await create.ExecuteNonQueryAsync();
        }

        var connection = new Microsoft.Data.SqlClient.SqlConnectionStringBuilder(_server) { InitialCatalog = _database }.ToString();
        return new SqlMetadataStore(StoreProvider.Create(new StoreOptions { Provider = StoreProviders.SqlServer }, connection, AppContext.BaseDirectory), options: options, time: time);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_database is null || _server is null)
        {
            return;
        }

        Microsoft.Data.SqlClient.SqlConnection.ClearAllPools();
        await using var admin = new Microsoft.Data.SqlClient.SqlConnection(_server);
        await admin.OpenAsync();
        await using var drop = new Microsoft.Data.SqlClient.SqlCommand($"ALTER DATABASE [{_database}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{_database}]", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
