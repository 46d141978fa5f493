using Npgsql;

namespace ImageMeta.Testing.Dapr.Pipeline;

/// <summary>
/// A uniquely named database on the server <c>IMAGEMETA_TEST_POSTGRES</c> points at, created for one
/// fixture and dropped after it (other suites share the server). Can also be made unavailable for a
/// while, the way an outage looks to a client: new connections refused, existing ones cut.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    public const string Variable = "IMAGEMETA_TEST_POSTGRES";

    private readonly string _adminConnectionString;

    private PostgresDatabase(string adminConnectionString, string name, string connectionString)
    {
        _adminConnectionString = adminConnectionString;
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }

    /// <summary>Connection string of the new database, for <c>ConnectionStrings__Metadata</c>.</summary>
    public string ConnectionString { get; }

    /// <summary>The server's connection string, or null when the variable is unset.</summary>
    public static string? ServerConnectionString => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    /// <summary>Whether PostgreSQL tests must run (CI) even though the variable is missing, so that they fail loudly.</summary>
    public static bool Required => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static async Task<PostgresDatabase> CreateAsync(string purpose)
    {
        var server = ServerConnectionString
            ?? throw new InvalidOperationException($"{Variable} is not set; PostgreSQL end-to-end tests need a server where the user may CREATE DATABASE.");
        var name = $"imagemeta_e2e_{purpose}_{Guid.NewGuid():N}"[..48];
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(server) { Database = name };
        return new PostgresDatabase(server, name, builder.ConnectionString);
    }

    /// <summary>Refuses new connections and terminates the open ones (ALTER DATABASE ... ALLOW_CONNECTIONS false).</summary>
    public async Task MakeUnavailableAsync()
    {
        await AdminAsync($"ALTER DATABASE \"{Name}\" ALLOW_CONNECTIONS false");
        await TerminateBackendsAsync();
    }

    public Task MakeAvailableAsync() => AdminAsync($"ALTER DATABASE \"{Name}\" ALLOW_CONNECTIONS true");

    private async Task TerminateBackendsAsync()
    {
        await using var connection = new NpgsqlConnection(_adminConnectionString);
        await connection.OpenAsync();
        await using var terminate = new NpgsqlCommand("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @name AND pid <> pg_backend_pid()", connection);
        terminate.Parameters.AddWithValue("name", Name);
        await terminate.ExecuteNonQueryAsync();
    }

    private async Task AdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_adminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await MakeAvailableAsync();
            await TerminateBackendsAsync();
            await AdminAsync($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)");
        }
        catch (NpgsqlException)
        {
            // Dropping is courtesy to the shared server; a failure must not hide the test's own outcome.
        }
    }
}
