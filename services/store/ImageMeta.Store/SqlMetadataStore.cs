using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using ImageMeta.Contracts;
using ImageMeta.Store.Text;

namespace ImageMeta.Store;

/// <summary>
/// The store's one implementation: maps records to typed columns (what people filter on) plus the full record as JSON
/// (what is read back), builds parameterized filters, and pages by keys that stay stable while rows are added. Writes
/// (SqlMetadataStore.Writes.cs) keep counts, months, versions and the changes feed in the same transaction; queries are in
/// SqlMetadataStore.Queries.cs and the summary views in SqlMetadataStore.Views.cs. Database errors become
/// <see cref="StoreUnavailableException"/>. Each operation is timed and each outage counted in <see cref="StoreMetrics"/>
/// when one is given.
/// </summary>
public sealed partial class SqlMetadataStore(StoreProvider provider, StoreMetrics? metrics = null, StoreOptions? options = null, TimeProvider? time = null) : IMetadataStore
{
    private readonly StoreOptions _options = options ?? new StoreOptions();
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public StoreProvider Provider { get; } = provider;

    public Task MigrateAsync(CancellationToken cancellationToken) => MigrateAsync(null, cancellationToken);

    /// <summary>Migrates through the script numbered <paramref name="through"/> (<c>0004</c>) only, as an older version left the schema; null: all of them.</summary>
    public async Task MigrateAsync(string? through, CancellationToken cancellationToken) =>
        await Guard(async () =>
        {
            await Provider.MigrateAsync(through, () => through is null || string.CompareOrdinal(through, "0005") >= 0 ? FillSearchKeysAsync(cancellationToken) : Task.CompletedTask, cancellationToken);
            return 0;
        }, "migrate");

    public Task<ImageRecord?> GetAsync(ImageId id, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken);
            return await ReadAsync(connection, null, id, cancellationToken);
        });

    public Task<bool> IsDeletedAsync(ImageId id, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var command = Command(connection, null, "SELECT 1 FROM image_tombstones WHERE id = @id AND expires_ticks > @now");
            Add(command, "id", id.Value);
            Add(command, "now", _time.GetUtcNow().UtcTicks);
            return await command.ExecuteScalarAsync(cancellationToken) is not null;
        }, "get");

    public Task PingAsync(CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            // A read (SELECT 1) succeeds on a read-only SQLite file while every save fails: only a write proves readiness.
            // Begun as every write is (SQLite: BEGIN IMMEDIATE, the write lock), then rolled back.
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = await Provider.BeginWriteAsync(connection, cancellationToken);
            await using var command = Command(connection, transaction, "INSERT INTO store_state (name, value) VALUES (@name, 0)");
            Add(command, "name", "readiness-probe");
            await command.ExecuteNonQueryAsync(cancellationToken);
            await transaction.RollbackAsync(cancellationToken);
            return 0;
        });

    /// <summary>
    /// The sortable text that decides which of two writes to one id is newer: blob last-modified, then
    /// processed-at, each as 19 digits of UTC ticks (100 ns since 0001-01-01, never negative), so any
    /// instant .NET can hold orders correctly, before 1970 and below a millisecond included. An unknown
    /// last-modified ranks as the earliest instant.
    /// </summary>
    public static string WriteRank(ImageRecord record) =>
        string.Create(CultureInfo.InvariantCulture, $"{record.Blob.LastModified?.UtcTicks ?? 0:D19}{record.ProcessedAt.UtcTicks:D19}");

    /// <summary>
    /// What <c>order=taken</c> sorts by (<c>yyyy-MM-ddTHH:mm:ss</c>): the camera-local date taken, else the blob's upload
    /// time in UTC, else when it was processed (UTC). Its first seven characters are the timeline's month.
    /// </summary>
    public static string SortTime(ImageRecord record) =>
        record.Metadata?.Exif?.TakenAt is { Length: >= 19 } taken
            ? taken[..19]
            : (record.Blob.LastModified ?? record.ProcessedAt).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>
    /// A perceptual hash as its column stores it: the unsigned 64 bits read as a signed integer (hashes with the top
    /// bit set are negative), since no provider has an unsigned 64-bit type and XOR only needs the bits.
    /// </summary>
    public static long HashColumn(ulong hash) => unchecked((long)hash);

    /// <summary>What <c>camera_key</c> holds: the folded make and model, a line feed between (a search term cannot hold one).</summary>
    public static string? CameraKey(string? make, string? model) =>
        make is null && model is null ? null : SearchText.Fold(make ?? string.Empty) + "\n" + SearchText.Fold(model ?? string.Empty);

    /// <summary>
    /// Whether each write keeps the summary rows (<c>image_summary</c>) in its transaction. Always true in the service;
    /// false only to measure what keeping them costs (bench/store), after which <see cref="RecountSummariesAsync"/> repairs them.
    /// </summary>
    public bool MaintainsSummaries { get; init; } = true;

    /// <summary>
    /// The column values a write stores for a record as the current version of its name (<see cref="StoreProvider.Columns"/>,
    /// by name), for bulk loads that bypass <see cref="UpsertAsync"/>; <see cref="RecountSummariesAsync"/> then counts them.
    /// </summary>
    public IReadOnlyDictionary<string, object?> ColumnValues(ImageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return Row(record, isCurrent: true);
    }

    private Dictionary<string, object?> Row(ImageRecord record, bool isCurrent)
    {
        var m = record.Metadata;
        var exif = m?.Exif;
        ulong? hash = record.Thumbnail is { } t && PerceptualHash.TryParse(t.PerceptualHash, out var parsed) ? parsed : null;
        var row = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["id"] = record.Id.Value,
            ["container"] = record.Blob.Container,
            ["name"] = record.Blob.Name,
            ["version"] = record.Blob.Version,
            ["status"] = record.Status,
            ["format"] = m?.Format,
            ["width"] = m?.Width,
            ["height"] = m?.Height,
            ["byte_size"] = m?.ByteSize ?? record.Blob.Size,
            ["sha256"] = m?.Sha256,
            ["camera_make"] = exif?.CameraMake,
            ["camera_model"] = exif?.CameraModel,
            ["taken_local"] = exif?.TakenAt is { Length: >= 19 } taken ? taken[..19] : null,
            ["gps_latitude"] = exif?.Gps?.Latitude,
            ["gps_longitude"] = exif?.Gps?.Longitude,
            ["failure_class"] = record.Failure?.Class,
            ["processed_at"] = Provider.ProcessedAtValue(record.ProcessedAt),
            ["write_rank"] = WriteRank(record),
            ["record_json"] = JsonSerializer.Serialize(record, ContractJson.Options),
            ["perceptual_hash"] = hash is { } h ? HashColumn(h) : null,
            ["lens_model"] = exif?.LensModel,
            ["iso"] = exif?.Iso,
            ["focal_length"] = exif?.FocalLength,
            ["focal_length_35mm"] = exif?.FocalLength35mm,
            ["flash_fired"] = exif?.FlashFired,
            ["exposure_program"] = exif?.ExposureProgram,
            ["white_balance"] = exif?.WhiteBalance,
            ["artist"] = exif?.Artist,
            ["copyright"] = exif?.Copyright,
            ["software"] = exif?.Software,
            ["color_profile"] = m?.ColorProfile,
            ["extractor_version"] = record.ExtractorVersion,
            ["extractor_build"] = record.ExtractorBuild,
            ["camera_key"] = CameraKey(exif?.CameraMake, exif?.CameraModel),
            ["lens_key"] = SearchText.Fold(exif?.LensModel),
            ["is_current"] = isCurrent ? 1 : 0,
            ["sort_time"] = SortTime(record),
        };
        for (var band = 0; band < HashBands.Count; band++)
        {
            row[HashBands.Columns[band]] = hash is { } bits ? HashBands.Band(bits, band) : null;
        }

        return row;
    }

    /// <summary>
    /// Computes <c>camera_key</c> and <c>lens_key</c> of rows written before them, or with an older folding, in keyset
    /// batches; store_state remembers the folding they were computed with, so this reads nothing once done.
    /// </summary>
    private async Task FillSearchKeysAsync(CancellationToken cancellationToken)
    {
        const string StateName = "search-keys-fold";
        await using var connection = await OpenAsync(cancellationToken);
        await using (var state = Command(connection, null, "SELECT value FROM store_state WHERE name = @name"))
        {
            Add(state, "name", StateName);
            if (await state.ExecuteScalarAsync(cancellationToken) is { } done && Convert.ToInt64(done, CultureInfo.InvariantCulture) >= SearchText.FoldVersion)
            {
                return;
            }
        }

        long after = 0;
        while (true)
        {
            var rows = new List<(long Seq, string? Make, string? Model, string? Lens)>();
            await using (var read = Command(connection, null, Provider.Limit("seq, camera_make, camera_model, lens_model", "FROM images WHERE seq > @after", "seq")))
            {
                Add(read, "after", after);
                Add(read, "limit", 1000);
                await using var reader = await read.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows.Add((reader.GetInt64(0), Text(reader, 1), Text(reader, 2), Text(reader, 3)));
                }
            }

            if (rows.Count == 0)
            {
                break;
            }

            var batch = new SqlBatch();
            foreach (var row in rows)
            {
                batch.Add("UPDATE images SET camera_key = @camera, lens_key = @lens WHERE seq = @seq",
                    ("camera", CameraKey(row.Make, row.Model)), ("lens", SearchText.Fold(row.Lens)), ("seq", row.Seq));
            }

            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await batch.ExecuteAsync(connection, transaction, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            after = rows[^1].Seq;
        }

        var save = new SqlBatch();
        save.Add("DELETE FROM store_state WHERE name = @name", ("name", StateName));
        save.Add("INSERT INTO store_state (name, value) VALUES (@name, @value)", ("name", StateName), ("value", (long)SearchText.FoldVersion));
        await save.ExecuteAsync(connection, null, cancellationToken);
    }

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = Provider.CreateConnection();
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task<ImageRecord?> ReadAsync(DbConnection connection, DbTransaction? transaction, ImageId id, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, "SELECT record_json FROM images WHERE id = @id");
        Add(command, "id", id.Value);
        return await command.ExecuteScalarAsync(cancellationToken) is string json ? Deserialize(json) : null;
    }

    private static ImageRecord Deserialize(string json) =>
        JsonSerializer.Deserialize<ImageRecord>(json, ContractJson.Options) ?? throw new InvalidDataException("A stored record is null.");

    private static string? Text(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static long Int64(DbDataReader reader, int ordinal) => Convert.ToInt64(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@" + name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    /// <summary>A LIKE pattern for a substring: the term's wildcards and brackets (SQL Server's) escaped with <c>\</c>.</summary>
    private static string Contains(string term)
    {
        var escaped = new StringBuilder(term.Length + 2).Append('%');
        foreach (var c in term)
        {
            if (c is '%' or '_' or '\\' or '[')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.Append('%').ToString();
    }

    /// <summary>Runs one operation: times it under the calling method's name and turns database errors into <see cref="StoreUnavailableException"/>.</summary>
    private async Task<T> Guard<T>(Func<Task<T>> work, [CallerMemberName] string operation = "")
    {
        var started = Stopwatch.GetTimestamp();
        var tag = new KeyValuePair<string, object?>(StoreMetrics.OperationTag, StoreMetrics.OperationName(operation));
        try
        {
            return await work();
        }
        catch (Exception e) when (e is DbException or TimeoutException or System.Net.Sockets.SocketException)
        {
            metrics?.Unavailable.Add(1, tag);
            // The database's own message can name its host and port: it stays in the inner exception, for the log.
            throw new StoreUnavailableException("The metadata database is unavailable; retry later.", e);
        }
        finally
        {
            metrics?.OperationDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tag);
        }
    }

    /// <summary>
    /// Several statements sent as one command (one round trip), each with its own parameters: a parameter <c>@x</c> of the
    /// n-th statement is renamed <c>@x_n</c>, so statements may reuse names.
    /// </summary>
    private sealed class SqlBatch
    {
        private readonly StringBuilder _sql = new();
        private readonly List<(string Name, object? Value)> _parameters = [];
        private int _count;

        public bool IsEmpty => _count == 0;

        public void Add(string sql, params (string Name, object? Value)[] parameters)
        {
            var n = _count++;
            foreach (var (name, value) in parameters.OrderByDescending(p => p.Name.Length))
            {
                // Longest names first, and only whole names (not followed by a word character), so @id never touches @ids.
                sql = System.Text.RegularExpressions.Regex.Replace(sql, "@" + name + @"(?!\w)", $"@{name}_{n}");
                _parameters.Add(($"{name}_{n}", value));
            }

            _sql.Append(sql).Append(";\n");
        }

        public async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
        {
            if (IsEmpty)
            {
                return;
            }

            await using var command = Command(connection, transaction, _sql.ToString());
            foreach (var (name, value) in _parameters)
            {
                SqlMetadataStore.Add(command, name, value);
            }

            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
