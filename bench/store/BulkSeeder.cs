using System.Data;
using System.Data.Common;
using ImageMeta.Store;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace ImageMeta.Bench.Store;

/// <summary>
/// Loads rows with each database's bulk path, bypassing the store's writes (their column values come from
/// <see cref="SqlMetadataStore.ColumnValues"/>, so the rows are what a write would store): PostgreSQL <c>COPY … FROM STDIN
/// (FORMAT BINARY)</c> through Npgsql's binary importer, SQLite one prepared INSERT in transactions of 50,000 rows, SQL
/// Server <c>SqlBulkCopy</c>. On PostgreSQL and SQLite the table's secondary indexes are dropped for the load and built
/// again after it, as a bulk load into an empty table is done (one sorted build per index instead of ten million inserts
/// into each). The summary rows are then counted once (<see cref="SqlMetadataStore.RecountSummariesAsync"/>).
/// </summary>
public static class BulkSeeder
{
    private const int Batch = 50_000;

    public static async Task SeedAsync(SqlMetadataStore store, long from, long count, CancellationToken cancellationToken)
    {
        var columns = StoreProvider.Columns;
        IEnumerable<object?[]> Rows()
        {
            for (var i = from; i < from + count; i++)
            {
                var values = store.ColumnValues(BenchRecords.Record(i));
                yield return columns.Select(c => values[c]).ToArray();
            }
        }

        await using var connection = store.Provider.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        switch (connection)
        {
            case NpgsqlConnection postgres:
                // Indexes that back a constraint (the key, the unique id) stay: dropping them would drop the constraint.
                await WithoutIndexesAsync(postgres,
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'images' AND schemaname = current_schema() " +
                    "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'images'::regclass)",
                    () => CopyAsync(postgres, columns, Rows(), cancellationToken), cancellationToken);
                break;
            case SqliteConnection sqlite:
                // Automatic indexes (of PRIMARY KEY and UNIQUE) have no SQL and stay.
                await WithoutIndexesAsync(sqlite,
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'images' AND sql IS NOT NULL",
                    () => InsertAsync(sqlite, columns, Rows(), cancellationToken), cancellationToken);
                break;
            case SqlConnection sqlServer:
                await BulkCopyAsync(sqlServer, columns, Rows(), cancellationToken);
                break;
            default:
                throw new NotSupportedException(connection.GetType().Name);
        }

        await store.RecountSummariesAsync(cancellationToken);
    }

    /// <summary>Drops the indexes the query lists (name, definition), runs the load, then creates them again from their definitions.</summary>
    private static async Task WithoutIndexesAsync(DbConnection connection, string listIndexes, Func<Task> load, CancellationToken cancellationToken)
    {
        var indexes = new List<(string Name, string Definition)>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = listIndexes;
            await using var reader = await list.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                indexes.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        async Task RunAsync(string sql)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.CommandTimeout = 0;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var (name, _) in indexes)
        {
            await RunAsync($"DROP INDEX {name}");
        }

        await load();
        foreach (var (_, definition) in indexes)
        {
            await RunAsync(definition);
        }
    }

    private static async Task CopyAsync(NpgsqlConnection connection, IReadOnlyList<string> columns, IEnumerable<object?[]> rows, CancellationToken cancellationToken)
    {
        // Binary COPY needs each value in its column's exact type: read them from the catalog.
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var read = new NpgsqlCommand("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'images' AND table_schema = current_schema()", connection))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                types[reader.GetString(0)] = reader.GetString(1);
            }
        }

        var typed = columns.Select(c => types[c] switch
        {
            "integer" => (NpgsqlDbType.Integer, (Func<object, object>)(v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture))),
            "bigint" => (NpgsqlDbType.Bigint, v => Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)),
            "smallint" => (NpgsqlDbType.Smallint, v => Convert.ToInt16(v, System.Globalization.CultureInfo.InvariantCulture)),
            "double precision" => (NpgsqlDbType.Double, v => Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture)),
            "boolean" => (NpgsqlDbType.Boolean, v => v),
            "jsonb" => (NpgsqlDbType.Jsonb, v => v),
            "timestamp with time zone" => (NpgsqlDbType.TimestampTz, v => v),
            _ => (NpgsqlDbType.Text, v => v),
        }).ToArray();
        await using var importer = await connection.BeginBinaryImportAsync($"COPY images ({string.Join(", ", columns)}) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var row in rows)
        {
            await importer.StartRowAsync(cancellationToken);
            for (var c = 0; c < row.Length; c++)
            {
                if (row[c] is { } value)
                {
                    await importer.WriteAsync(typed[c].Item2(value), typed[c].Item1, cancellationToken);
                }
                else
                {
                    await importer.WriteNullAsync(cancellationToken);
                }
            }
        }

        await importer.CompleteAsync(cancellationToken);
    }

    private static async Task InsertAsync(SqliteConnection connection, IReadOnlyList<string> columns, IEnumerable<object?[]> rows, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO images ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select(c => "@" + c))})";
        var parameters = columns.Select(c => command.Parameters.Add(new SqliteParameter { ParameterName = "@" + c })).ToArray();
        DbTransaction? transaction = null;
        var inBatch = 0;
        foreach (var row in rows)
        {
            if (transaction is null)
            {
                transaction = await connection.BeginTransactionAsync(cancellationToken);
                command.Transaction = (SqliteTransaction)transaction;
            }

            for (var c = 0; c < row.Length; c++)
            {
                parameters[c].Value = row[c] ?? DBNull.Value;
            }

            await command.ExecuteNonQueryAsync(cancellationToken);
            if (++inBatch == Batch)
            {
                await transaction.CommitAsync(cancellationToken);
                await transaction.DisposeAsync();
                (transaction, inBatch) = (null, 0);
            }
        }

        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
            await transaction.DisposeAsync();
        }
    }

    private static async Task BulkCopyAsync(SqlConnection connection, IReadOnlyList<string> columns, IEnumerable<object?[]> rows, CancellationToken cancellationToken)
    {
        using var bulk = new SqlBulkCopy(connection, SqlBulkCopyOptions.TableLock, null) { DestinationTableName = "images", BatchSize = 10_000, BulkCopyTimeout = 0 };
        foreach (var column in columns)
        {
            bulk.ColumnMappings.Add(column, column);
        }

        using var table = new DataTable();
        void Flush()
        {
            // SqlBulkCopy has no async DataTable overload that streams; one batch at a time keeps memory bounded.
            bulk.WriteToServer(table);
            table.Clear();
        }

        foreach (var row in rows)
        {
            if (table.Columns.Count == 0)
            {
                foreach (var (column, value) in columns.Zip(row))
                {
                    table.Columns.Add(column, ColumnType(column, value));
                }
            }

            table.Rows.Add(row.Select(v => v ?? DBNull.Value).ToArray());
            if (table.Rows.Count == 10_000)
            {
                Flush();
            }
        }

        if (table.Rows.Count > 0)
        {
            Flush();
        }

        await Task.CompletedTask.WaitAsync(cancellationToken);
    }

    /// <summary>The .NET type of a column for the DataTable: the first row's value, or what the column holds when it is null there.</summary>
    private static Type ColumnType(string column, object? value) => value?.GetType() ?? column switch
    {
        "width" or "height" or "iso" or "extractor_version" or "hash_band0" or "hash_band1" or "hash_band2" => typeof(int),
        "byte_size" or "perceptual_hash" => typeof(long),
        "gps_latitude" or "gps_longitude" or "focal_length" or "focal_length_35mm" => typeof(double),
        "flash_fired" => typeof(bool),
        _ => typeof(string),
    };
}
