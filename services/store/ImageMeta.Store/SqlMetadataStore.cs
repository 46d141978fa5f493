using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using ImageMeta.Contracts;

namespace ImageMeta.Store;

/// <summary>
/// The store's one implementation: maps records to typed columns (what people filter on) plus the full
/// record as JSON (what is read back), builds parameterized filters, and pages by the insertion sequence
/// so pages stay stable while rows are added. Database errors become <see cref="StoreUnavailableException"/>.
/// Each operation is timed and each outage counted in <see cref="StoreMetrics"/> when one is given.
/// </summary>
public sealed class SqlMetadataStore(StoreProvider provider, StoreMetrics? metrics = null) : IMetadataStore
{
    public StoreProvider Provider { get; } = provider;

    public async Task MigrateAsync(CancellationToken cancellationToken) =>
        await Guard(async () =>
        {
            await Provider.MigrateAsync(cancellationToken);
            return 0;
        });

    public Task<(UpsertOutcome Outcome, ImageRecord Stored)> UpsertAsync(ImageRecord record, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            await using var connection = Provider.CreateConnection();
            await connection.OpenAsync(cancellationToken);
            var outcome = await Provider.UpsertAsync(connection, Row(record), cancellationToken);
            metrics?.RecordUpsert(outcome);
            var stored = outcome == UpsertOutcome.Unchanged ? await ReadAsync(connection, record.Id, cancellationToken) ?? record : record;
            return (outcome, stored);
        });

    public Task<ImageRecord?> GetAsync(ImageId id, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            await using var connection = Provider.CreateConnection();
            await connection.OpenAsync(cancellationToken);
            return await ReadAsync(connection, id, cancellationToken);
        });

    public Task<ImagePage> QueryAsync(ImageQuery query, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            await using var connection = Provider.CreateConnection();
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            var where = new List<string>();
            void Filter(string condition, string name, object? value)
            {
                if (value is null)
                {
                    return;
                }

                where.Add(condition);
                Add(command, name, value);
            }

            Filter("format = @format", "format", query.Format);
            Filter("status = @status", "status", query.Status);
            Filter("width >= @minWidth", "minWidth", query.MinWidth);
            Filter("width <= @maxWidth", "maxWidth", query.MaxWidth);
            Filter("height >= @minHeight", "minHeight", query.MinHeight);
            Filter("height <= @maxHeight", "maxHeight", query.MaxHeight);
            Filter("(LOWER(camera_make) LIKE @camera ESCAPE '\\' OR LOWER(camera_model) LIKE @camera ESCAPE '\\')", "camera",
                query.Camera is null ? null : "%" + EscapeLike(query.Camera.ToLowerInvariant()) + "%");
            // taken_local is text "yyyy-MM-ddTHH:mm:ss" on every provider, so bounds compare as text of the same shape.
            Filter("taken_local >= @takenFrom", "takenFrom", query.TakenFrom?.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture));
            Filter("taken_local <= @takenTo", "takenTo", query.TakenTo?.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture));
            Filter("container = @container", "container", query.Container);
            Filter("sha256 = @sha256", "sha256", query.Sha256?.ToLowerInvariant());
            Filter("seq < @before", "before", query.Before);
            if (query.HasGps is { } hasGps)
            {
                // A position is written whole (latitude and longitude together), so the latitude column decides.
                where.Add(hasGps ? "gps_latitude IS NOT NULL" : "gps_latitude IS NULL");
            }

            if (query.Near is { } near)
            {
                // The close hashes first (a scan of the narrow hash index), then the page over those rows only.
                where.Add($"seq IN (SELECT seq FROM images WHERE perceptual_hash IS NOT NULL AND {Provider.HammingDistance("perceptual_hash", "@nearHash")} <= @nearDistance{Provider.SubqueryFence}) AND id <> @nearExclude");
                Add(command, "nearHash", HashColumn(near.Hash));
                Add(command, "nearDistance", near.MaxDistance);
                Add(command, "nearExclude", near.Exclude.Value);
            }

            Add(command, "limit", query.Limit + 1);
            var whereClause = where.Count == 0 ? string.Empty : " WHERE " + string.Join(" AND ", where);
            command.CommandText = Provider.Limit("seq, record_json", "FROM images" + whereClause, "seq DESC");

            var items = new List<(long Seq, ImageRecord Record)>();
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    items.Add((reader.GetInt64(0), Deserialize(reader.GetString(1))));
                }
            }

            var page = items.Take(query.Limit).ToList();
            var next = items.Count > query.Limit ? PageCursor.Encode(page[^1].Seq) : null;
            return new ImagePage(page.Select(i => i.Record).ToList(), next);
        });

    public Task<IReadOnlyList<SimilarImage>> SimilarAsync(HashNeighbourhood near, int limit, CancellationToken cancellationToken) =>
        Guard<IReadOnlyList<SimilarImage>>(async () =>
        {
            await using var connection = Provider.CreateConnection();
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            // The inner scan reads only what the partial index holds (hash, seq), so it never touches the JSON;
            // the few rows within the distance are then joined back for their records.
            command.CommandText = Provider.Limit(
                "d.distance, i.record_json",
                $"FROM (SELECT seq, {Provider.HammingDistance("perceptual_hash", "@hash")} AS distance FROM images WHERE perceptual_hash IS NOT NULL) d " +
                "JOIN images i ON i.seq = d.seq WHERE d.distance <= @maxDistance AND i.id <> @exclude",
                "d.distance, d.seq DESC");
            Add(command, "hash", HashColumn(near.Hash));
            Add(command, "maxDistance", near.MaxDistance);
            Add(command, "exclude", near.Exclude.Value);
            Add(command, "limit", limit);
            var items = new List<SimilarImage>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(new SimilarImage(Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture), Deserialize(reader.GetString(1))));
            }

            return items;
        });

    public Task<ImageStats> StatsAsync(CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            await using var connection = Provider.CreateConnection();
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            // Sizes are summed in two halves (multiples of 2^32 and the remainders) so no database's integer
            // sum can overflow, whatever rows exist: SQLite's SUM fails with "integer overflow" past 2^63 and
            // SQL Server's SUM(bigint) is a bigint too. Each half stays far inside 64 bits for any real row count.
            command.CommandText =
                "SELECT COALESCE(format, ''), status, COUNT(*), " +
                "COALESCE(SUM(byte_size / CAST(4294967296 AS BIGINT)), 0), COALESCE(SUM(byte_size % CAST(4294967296 AS BIGINT)), 0) " +
                "FROM images GROUP BY format, status";
            var byFormat = new SortedDictionary<string, long>(StringComparer.Ordinal);
            var byStatus = new SortedDictionary<string, long>(StringComparer.Ordinal);
            long total = 0;
            decimal bytes = 0;
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var count = Convert.ToInt64(reader.GetValue(2), CultureInfo.InvariantCulture);
                    var format = reader.GetString(0);
                    if (format.Length > 0)
                    {
                        byFormat[format] = byFormat.GetValueOrDefault(format) + count;
                    }

                    byStatus[reader.GetString(1)] = byStatus.GetValueOrDefault(reader.GetString(1)) + count;
                    total += count;
                    bytes += Convert.ToDecimal(reader.GetValue(3), CultureInfo.InvariantCulture) * 4294967296m
                        + Convert.ToDecimal(reader.GetValue(4), CultureInfo.InvariantCulture);
                }
            }

            // Groups need every hash (one narrow scan of the partial index); the pairs are compared in memory.
            await using var hashes = connection.CreateCommand();
            hashes.CommandText = "SELECT perceptual_hash FROM images WHERE perceptual_hash IS NOT NULL";
            var all = new List<ulong>();
            await using (var hashReader = await hashes.ExecuteReaderAsync(cancellationToken))
            {
                while (await hashReader.ReadAsync(cancellationToken))
                {
                    all.Add(unchecked((ulong)hashReader.GetInt64(0)));
                }
            }

            var (groups, grouped) = NearDuplicateGroups.Count(all, PerceptualHash.NearDuplicateDistance);
            return new ImageStats(total, byFormat, byStatus, bytes, groups, grouped);
        });

    public Task PingAsync(CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            await using var connection = Provider.CreateConnection();
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            return await command.ExecuteScalarAsync(cancellationToken);
        });

    /// <summary>
    /// The sortable text that decides which of two writes to one id is newer: blob last-modified, then
    /// processed-at, each as 19 digits of UTC ticks (100 ns since 0001-01-01, never negative), so any
    /// instant .NET can hold orders correctly, before 1970 and below a millisecond included. An unknown
    /// last-modified ranks as the earliest instant.
    /// </summary>
    public static string WriteRank(ImageRecord record) =>
        string.Create(CultureInfo.InvariantCulture, $"{record.Blob.LastModified?.UtcTicks ?? 0:D19}{record.ProcessedAt.UtcTicks:D19}");

    private Dictionary<string, object?> Row(ImageRecord record)
    {
        var m = record.Metadata;
        return new Dictionary<string, object?>(StringComparer.Ordinal)
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
            ["camera_make"] = m?.Exif?.CameraMake,
            ["camera_model"] = m?.Exif?.CameraModel,
            ["taken_local"] = m?.Exif?.TakenAt is { Length: >= 19 } taken ? taken[..19] : null,
            ["gps_latitude"] = m?.Exif?.Gps?.Latitude,
            ["gps_longitude"] = m?.Exif?.Gps?.Longitude,
            ["failure_class"] = record.Failure?.Class,
            ["processed_at"] = Provider.ProcessedAtValue(record.ProcessedAt),
            ["write_rank"] = WriteRank(record),
            ["record_json"] = JsonSerializer.Serialize(record, ContractJson.Options),
            ["perceptual_hash"] = record.Thumbnail is { } t && PerceptualHash.TryParse(t.PerceptualHash, out var hash) ? HashColumn(hash) : null,
        };
    }

    /// <summary>
    /// A perceptual hash as its column stores it: the unsigned 64 bits read as a signed integer (hashes with the top
    /// bit set are negative), since no provider has an unsigned 64-bit type and XOR only needs the bits.
    /// </summary>
    public static long HashColumn(ulong hash) => unchecked((long)hash);

    private static async Task<ImageRecord?> ReadAsync(DbConnection connection, ImageId id, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT record_json FROM images WHERE id = @id";
        Add(command, "id", id.Value);
        return await command.ExecuteScalarAsync(cancellationToken) is string json ? Deserialize(json) : null;
    }

    private static ImageRecord Deserialize(string json) =>
        JsonSerializer.Deserialize<ImageRecord>(json, ContractJson.Options) ?? throw new InvalidDataException("A stored record is null.");

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@" + name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    private static string EscapeLike(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '%' or '_' or '\\')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
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
}

/// <summary>Opaque page cursors: the last row's sequence number, base64url so clients treat it as a token.</summary>
public static class PageCursor
{
    public static string Encode(long seq) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes("s" + seq.ToString(CultureInfo.InvariantCulture))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool TryDecode(string? cursor, out long seq)
    {
        seq = 0;
        if (string.IsNullOrEmpty(cursor) || cursor.Length > 32)
        {
            return false;
        }

        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/') + new string('=', (4 - cursor.Length % 4) % 4);
            var text = Encoding.ASCII.GetString(Convert.FromBase64String(padded));
            return text.StartsWith('s') && long.TryParse(text.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out seq) && seq > 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
