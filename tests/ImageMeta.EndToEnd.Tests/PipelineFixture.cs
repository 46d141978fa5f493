using System.Reflection;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr.Pipeline;

namespace ImageMeta.EndToEnd.Tests;

/// <summary>
/// The three real services against sidecar doubles, started once per test class and database. Tests in
/// a class run one after another (xUnit), so outage scenarios cannot disturb each other.
/// </summary>
public abstract class PipelineFixture : IAsyncLifetime
{
    private PostgresDatabase? _postgres;

    protected abstract MetadataDatabase Database { get; }

    /// <summary>Extra environment per app id (the suite's shortened retries unless a fixture needs others).</summary>
    protected virtual IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Environment => TestEnvironment.Services;

    public SidecarDoublePipeline Pipeline { get; private set; } = null!;

    public PipelineClient Client { get; private set; } = null!;

    /// <summary>The PostgreSQL database of this fixture, when it runs on PostgreSQL.</summary>
    public PostgresDatabase? Postgres => _postgres;

    /// <summary>Set when the fixture could not run here for a known reason (no PostgreSQL outside CI).</summary>
    public string? SkipReason { get; private set; }

    /// <summary>The configuration this test assembly was built in; the services were built alongside it.</summary>
    public static string Configuration =>
        typeof(PipelineFixture).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>
    /// Why the pipeline cannot start from this checkout: a service folder that does not exist at all. Once
    /// <c>services/{app}</c> exists, the tests run and a broken service fails them.
    /// </summary>
    public static string? MissingServices()
    {
        var missing = DaprTopology.AppIds.All.Where(app => !Directory.Exists(Path.Combine(RepositoryLayout.Root, "services", app))).ToList();
        return missing.Count == 0 ? null : $"No services/{string.Join(", services/", missing)} in this checkout; the pipeline cannot start.";
    }

    public async Task InitializeAsync()
    {
        if (MissingServices() is { } reason)
        {
            SkipReason = reason;
            return;
        }

        if (Database == MetadataDatabase.Postgres)
        {
            if (PostgresDatabase.ServerConnectionString is null && !PostgresDatabase.Required)
            {
                SkipReason = $"{PostgresDatabase.Variable} is not set; PostgreSQL end-to-end tests skipped (they run in CI).";
                return;
            }

            _postgres = await PostgresDatabase.CreateAsync("e2e");
        }

        Pipeline = await SidecarDoublePipeline.StartAsync(new PipelineSettings
        {
            Configuration = Configuration,
            WorkflowEngine = TestEnvironment.CreateWorkflowEngine,
            Database = Database,
            PostgresConnectionString = _postgres?.ConnectionString,
            Environment = Environment,
        });
        Client = new PipelineClient(Pipeline.Ingest.BaseAddress, Pipeline.Store.BaseAddress);
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (Pipeline is not null)
        {
            await Pipeline.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }
}

/// <summary>The pipeline on a SQLite file.</summary>
public sealed class SqlitePipelineFixture : PipelineFixture
{
    protected override MetadataDatabase Database => MetadataDatabase.Sqlite;
}

/// <summary>The pipeline on a fresh PostgreSQL database (<c>IMAGEMETA_TEST_POSTGRES</c>).</summary>
public sealed class PostgresPipelineFixture : PipelineFixture
{
    protected override MetadataDatabase Database => MetadataDatabase.Postgres;
}
