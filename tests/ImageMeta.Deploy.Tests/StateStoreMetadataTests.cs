using System.Text.RegularExpressions;
using ImageMeta.Testing.Dapr.Pipeline;
using Npgsql;
using static ImageMeta.Deploy.Tests.Manifests;

namespace ImageMeta.Deploy.Tests;

/// <summary>
/// State components that share a database must not share a metadata table. components-contrib's SQL state stores
/// keep bookkeeping rows there under fixed keys: state.postgresql v1 its migration level as <c>"migrations"</c>
/// (state/postgresql/v1/migrations.go, through common/component/sql/migrations/postgres/postgres_migrations.go and
/// common/component/sql/migrations.go, v1.18.4), state.sqlserver and state.postgresql their <c>"last-cleanup"</c> row.
/// With one shared table, the second PostgreSQL component to start finds the migrations done and never creates its
/// own table. The PostgreSQL tests run those migration steps, restated here, against the real server.
/// </summary>
public sealed partial class StateStoreMetadataTests
{
    /// <summary>components-contrib's defaults of <c>metadataTableName</c> per state store type.</summary>
    private static readonly Dictionary<string, string> DefaultMetadataTable = new(StringComparer.Ordinal)
    {
        ["state.postgresql"] = "dapr_metadata",
        ["state.sqlserver"] = "dapr_metadata",
        ["state.sqlite"] = "metadata",
    };

    /// <summary>The sets of components one sidecar loads together: each run file's folders, each overlay's render.</summary>
    public static TheoryData<string> ComponentSets => ["dapr.yaml", "dapr.azurite.yaml", "dapr.azurite-postgres.yaml", "overlay:postgres", "overlay:sqlserver", "overlay:local-cluster"];

    [SkippableTheory]
    [MemberData(nameof(ComponentSets))]
    public void No_two_state_components_on_one_connection_share_a_metadata_table(string set)
    {
        var components = Components(set);
        Skip.If(components is null, "kubectl is not installed (scripts/setup.sh installs it).");

        var stores = components.OfKind("Component")
            .Where(c => DefaultMetadataTable.ContainsKey(Text(c, "spec", "type") ?? string.Empty))
            .Select(c => (Name: Name(c), Type: Text(c, "spec", "type")!, Connection: Connection(c), MetadataTable: Metadata(c, "metadataTableName") ?? DefaultMetadataTable[Text(c, "spec", "type")!]))
            .ToList();

        Assert.NotEmpty(stores);
        foreach (var shared in stores.GroupBy(s => (s.Type, s.Connection, s.MetadataTable)).Where(g => g.Count() > 1))
        {
            Assert.Fail($"{set}: {string.Join(" and ", shared.Select(s => s.Name))} ({shared.Key.Type}) share the metadata table '{shared.Key.MetadataTable}' on one connection; give each its own metadataTableName");
        }
    }

    [SkippableFact]
    public async Task Both_postgres_components_create_their_tables_in_one_database_whichever_starts_first()
    {
        SkipUnlessPostgres();
        var components = PostgresComponents();

        foreach (var order in new[] { components, components.AsEnumerable().Reverse().ToList() })
        {
            await using var database = await PostgresDatabase.CreateAsync("statemeta");
            await using var source = NpgsqlDataSource.Create(database.ConnectionString);
            foreach (var (table, metadataTable) in order)
            {
                await MigrateAsync(source, table, metadataTable);
            }

            foreach (var (table, metadataTable) in components)
            {
                Assert.True(await ExistsAsync(source, table), $"table '{table}' was not created (order: {string.Join(", ", order.Select(c => c.Table))})");
                Assert.Equal(MigrationSteps.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), await ScalarAsync(source, $"SELECT value FROM {metadataTable} WHERE key = 'migrations'"));
            }
        }
    }

    [SkippableFact]
    public async Task A_database_that_hit_the_shared_record_is_repaired_by_the_guides_upgrade_statements()
    {
        SkipUnlessPostgres();
        var components = PostgresComponents();
        await using var database = await PostgresDatabase.CreateAsync("statemeta");
        await using var source = NpgsqlDataSource.Create(database.ConnectionString);

        // Before the fix both used dapr_metadata; the sweep's component loads first (name order), so "state" never came.
        foreach (var (table, _) in components.OrderBy(c => c.Table == "sweepstate" ? 0 : 1))
        {
            await MigrateAsync(source, table, "dapr_metadata");
        }

        Assert.True(await ExistsAsync(source, "sweepstate"));
        Assert.False(await ExistsAsync(source, "state"), "the shared migrations record no longer hides the second table: the upstream steps changed");

        // The guide's statements, taken from deploy/README.md as written, then the components as they are now.
        await using (var upgrade = source.CreateCommand(UpgradeStatements()))
        {
            await upgrade.ExecuteNonQueryAsync();
        }

        foreach (var (table, metadataTable) in components)
        {
            await MigrateAsync(source, table, metadataTable);
        }

        Assert.True(await ExistsAsync(source, "state"), "the workflow state table is still missing after the upgrade");
        Assert.True(await ExistsAsync(source, "sweepstate"));
    }

    private static void SkipUnlessPostgres()
    {
        if (PostgresDatabase.ServerConnectionString is null && PostgresDatabase.Required)
        {
            throw new InvalidOperationException($"CI=true but {PostgresDatabase.Variable} is not set.");
        }

        Skip.If(PostgresDatabase.ServerConnectionString is null, $"{PostgresDatabase.Variable} is not set (scripts/test.sh starts a PostgreSQL when the server is installed).");
    }

    /// <summary>The postgres overlay's state components (workflows, the sweep, the web app's): (state table, metadata table), with upstream's defaults.</summary>
    private static List<(string Table, string MetadataTable)> PostgresComponents()
    {
        var components = Folder(Path.Combine("deploy", "k8s", "overlays", "postgres")).OfKind("Component")
            .Where(c => Text(c, "spec", "type") == "state.postgresql")
            .Select(c => (Table: Metadata(c, "tableName") ?? "state", MetadataTable: Metadata(c, "metadataTableName") ?? "dapr_metadata"))
            .ToList();
        Assert.True(components.Count >= 2, "the postgres overlay has fewer than two state components");
        Assert.All(components, c => Assert.Matches(Identifier(), c.Table + " " + c.MetadataTable));
        return components;
    }

    /// <summary>
    /// One component's start-up migration, as components-contrib's state.postgresql v1 performs it: make sure the
    /// metadata table exists, hold the lock row, read the level stored under "migrations", run the steps above that
    /// level one by one (each committed on its own, outside the lock's transaction) and store the new level.
    /// </summary>
    private static async Task MigrateAsync(NpgsqlDataSource source, string table, string metadataTable)
    {
        await ExecuteAsync(source, $"CREATE TABLE IF NOT EXISTS {metadataTable} (key text NOT NULL PRIMARY KEY, value text NOT NULL)");
        await ExecuteAsync(source, $"INSERT INTO {metadataTable} (key, value) VALUES ('lock', 'lock') ON CONFLICT (key) DO NOTHING");
        await using var lockConnection = await source.OpenConnectionAsync();
        await using var lockTransaction = await lockConnection.BeginTransactionAsync();
        await using (var take = new NpgsqlCommand($"SELECT value FROM {metadataTable} WHERE key = 'lock' FOR UPDATE", lockConnection, lockTransaction))
        {
            await take.ExecuteScalarAsync();
        }

        var level = int.Parse(await ScalarAsync(source, $"SELECT value FROM {metadataTable} WHERE key = 'migrations'") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        for (var step = level; step < MigrationSteps.Count; step++)
        {
            foreach (var statement in MigrationSteps[step](table))
            {
                await ExecuteAsync(source, statement);
            }

            await using var record = source.CreateCommand($"INSERT INTO {metadataTable} (key, value) VALUES ('migrations', @level) ON CONFLICT (key) DO UPDATE SET value = @level");
            record.Parameters.AddWithValue("level", (step + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            await record.ExecuteNonQueryAsync();
        }

        await lockTransaction.RollbackAsync();
    }

    /// <summary>
    /// The three v1 migration steps (components-contrib state/postgresql/v1/migrations.go, v1.18.4), in our words, for a
    /// new, empty table: 1. the state table (key, jsonb value, isbinary, insert and update dates); 2. an expiredate
    /// column; 3. a row_id column, made NOT NULL, an identity, with a unique index (upstream also back-fills existing
    /// rows and realigns the identity's sequence, which an empty table does not need).
    /// </summary>
    private static readonly List<Func<string, string[]>> MigrationSteps =
    [
        table => [$"CREATE TABLE IF NOT EXISTS {table} (key text NOT NULL PRIMARY KEY, value jsonb NOT NULL, isbinary boolean NOT NULL, insertdate TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(), updatedate TIMESTAMP WITH TIME ZONE NULL)"],
        table => [$"ALTER TABLE {table} ADD expiredate TIMESTAMP WITH TIME ZONE"],
        table =>
        [
            $"ALTER TABLE {table} ADD COLUMN row_id BIGINT",
            $"ALTER TABLE {table} ALTER COLUMN row_id SET NOT NULL",
            $"ALTER TABLE {table} ALTER COLUMN row_id ADD GENERATED BY DEFAULT AS IDENTITY",
            $"CREATE UNIQUE INDEX IF NOT EXISTS {table}_row_id_uidx ON {table} (row_id)",
        ],
    ];

    /// <summary>The <c>sql</c> block under the guide's upgrade heading, as the guide shows it.</summary>
    private static string UpgradeStatements()
    {
        var guide = File.ReadAllText(Path.Combine(Root, "deploy", "README.md"));
        var heading = guide.IndexOf("Upgrading a database that one shared migrations record broke", StringComparison.Ordinal);
        Assert.True(heading >= 0, "deploy/README.md has no upgrade note for the shared migrations record");
        var block = SqlBlock().Match(guide, heading);
        Assert.True(block.Success, "the upgrade note has no sql block");
        return block.Groups[1].Value;
    }

    private static List<Dictionary<object, object?>>? Components(string set)
    {
        if (set.StartsWith("overlay:", StringComparison.Ordinal))
        {
            return Render(set["overlay:".Length..]);
        }

        var common = At(Load(set)[0], "common");
        return [.. Items(common, "resourcesPaths").SelectMany(path => Folder(path!.ToString()!))];
    }

    /// <summary>What a component connects with: its connection string, or the secret it is read from.</summary>
    private static string Connection(Dictionary<object, object?> component)
    {
        var entry = Items(component, "spec", "metadata").OfType<Dictionary<object, object?>>().FirstOrDefault(m => Text(m, "name") == "connectionString");
        return Text(entry, "value") ?? $"secret {Text(entry, "secretKeyRef", "name")}/{Text(entry, "secretKeyRef", "key")}";
    }

    private static string? Metadata(Dictionary<object, object?> component, string name) =>
        Text(Items(component, "spec", "metadata").OfType<Dictionary<object, object?>>().FirstOrDefault(m => Text(m, "name") == name), "value");

    private static async Task<bool> ExistsAsync(NpgsqlDataSource source, string table)
    {
        await using var command = source.CreateCommand("SELECT to_regclass(@table) IS NOT NULL");
        command.Parameters.AddWithValue("table", table);
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<string?> ScalarAsync(NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        return await command.ExecuteScalarAsync() as string;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Table names as our components give them: they go into SQL text, so nothing else is accepted.</summary>
    [GeneratedRegex("^[a-z_][a-z0-9_]* [a-z_][a-z0-9_]*$")]
    private static partial Regex Identifier();

    [GeneratedRegex("```sql\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex SqlBlock();
}
