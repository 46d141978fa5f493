using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImageMeta.Contracts;

namespace ImageMeta.Store;

/// <summary>
/// Writes: the upsert and the delete, each one transaction that also keeps the summary rows (counts, bytes, months),
/// the current version of each blob name, tombstones, the changes feed's removals and the thumbnail deletions still to
/// do. Writers of one image id, and of one blob name, are serialized (<see cref="StoreProvider.LockAsync"/>: the id's key
/// first, then the name's), so each decision below is made on rows no one else is changing.
/// </summary>
public sealed partial class SqlMetadataStore
{
    /// <summary>The columns of an image row a write needs to decide and to count: every version of one blob name.</summary>
    private sealed record VersionRow(string Id, string WriteRank, bool IsCurrent, string? Format, string Status, long? ByteSize, string SortTime);

    public Task<UpsertResult> UpsertAsync(ImageRecord record, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            var result = await WriteAsync(record, cancellationToken);
            metrics?.RecordUpsert(result.Outcome);
            return result;
        }, "upsert");

    private async Task<UpsertResult> WriteAsync(ImageRecord record, CancellationToken cancellationToken)
    {
        var id = record.Id.Value;
        var rank = WriteRank(record);
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await Provider.BeginWriteAsync(connection, cancellationToken);
        await Provider.LockAsync(connection, transaction, [LockKey("id", id), LockKey("name", record.Blob.Container + "\n" + record.Blob.Name)], cancellationToken);

        var deletedTicks = await TombstoneAsync(connection, transaction, id, cancellationToken);
        // A save after a delete is the late end of a workflow the delete overtook, unless the blob was written again
        // after the delete (the same content uploaded again is the same version, so the same id).
        if (deletedTicks is { } ticks && !(record.Blob.LastModified?.UtcTicks > ticks))
        {
            // The run wrote its thumbnails before this save, perhaps after the delete had deleted what was there then:
            // they are orphans, queued again.
            var orphans = new SqlBatch();
            var queued = new List<string>();
            Release(orphans, queued, record.Id, _time.GetUtcNow().UtcTicks);
            await orphans.ExecuteAsync(connection, transaction, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new UpsertResult(UpsertOutcome.Deleted, record, queued);
        }

        var versions = await VersionsAsync(connection, transaction, record.Blob.Container, record.Blob.Name, cancellationToken);
        var existing = versions.FirstOrDefault(v => v.Id == id);
        if (existing is not null && string.CompareOrdinal(existing.WriteRank, rank) >= 0)
        {
            return new UpsertResult(UpsertOutcome.Unchanged, await ReadAsync(connection, transaction, record.Id, cancellationToken) ?? record, []);
        }

        var others = versions.Where(v => v.Id != id).ToList();
        // Ties go to the later write, as the migration decided for rows it found.
        var isCurrent = others.All(v => string.CompareOrdinal(v.WriteRank, rank) <= 0);
        var batch = new SqlBatch();
        var summary = new SummaryChange();
        var released = new List<string>();
        var now = _time.GetUtcNow().UtcTicks;
        UpsertOutcome outcome;

        if (!isCurrent && !_options.KeepReplacedVersions)
        {
            // An older version arriving after a newer one: not kept, and its thumbnails belong to a blob version that is gone.
            if (existing is not null)
            {
                Remove(batch, summary, existing, now, delete: true);
            }

            outcome = UpsertOutcome.Superseded;
            Release(batch, released, record.Id, now);
        }
        else
        {
            var row = Row(record, isCurrent);
            if (existing is null)
            {
                var columns = StoreProvider.Columns.Concat(Provider.ChangeStamp.Assignments.Select(a => a.Column));
                var values = StoreProvider.Columns.Select(c => c == "record_json" ? Provider.JsonValue("@record_json") : "@" + c)
                    .Concat(Provider.ChangeStamp.Assignments.Select(a => a.Value));
                batch.Add($"{Provider.ChangeStamp.Prefix}INSERT INTO images ({string.Join(", ", columns)}) VALUES ({string.Join(", ", values)})", Parameters(row));
                outcome = UpsertOutcome.Inserted;
            }
            else
            {
                var sets = StoreProvider.Columns.Skip(1).Select(c => $"{c} = {(c == "record_json" ? Provider.JsonValue("@record_json") : "@" + c)}")
                    .Concat(Provider.ChangeStamp.Assignments.Select(a => $"{a.Column} = {a.Value}"));
                batch.Add($"{Provider.ChangeStamp.Prefix}UPDATE images SET {string.Join(", ", sets)} WHERE id = @id", Parameters(row));
                outcome = UpsertOutcome.Updated;
                if (existing.IsCurrent)
                {
                    summary.Add(existing, -1);
                    if (!isCurrent)
                    {
                        AddRemoval(batch, existing.Id, now);
                    }
                }
            }

            if (isCurrent)
            {
                summary.Add(new VersionRow(id, rank, true, record.Metadata?.Format, record.Status, (long?)row["byte_size"], (string)row["sort_time"]!), +1);
                foreach (var other in others)
                {
                    if (other.IsCurrent || !_options.KeepReplacedVersions)
                    {
                        Remove(batch, summary, other, now, delete: !_options.KeepReplacedVersions);
                    }

                    // A replaced version's thumbnails were released when it stopped being current.
                    if (other.IsCurrent)
                    {
                        Release(batch, released, ImageId.TryParse(other.Id, out var otherId) ? otherId : throw new InvalidDataException("A stored id is malformed."), now);
                    }
                }

                // This version's thumbnails are live again (a blob written again after its delete).
                batch.Add("DELETE FROM thumbnail_deletions WHERE name = @a OR name = @b OR name = @c",
                    ("a", ImageThumbnail.NameFor(record.Id)), ("b", ImageThumbnail.LargeNameFor(record.Id)), ("c", ImageThumbnail.PreviewNameFor(record.Id)));
            }
            else
            {
                Release(batch, released, record.Id, now);
            }
        }

        if (deletedTicks is not null && outcome is UpsertOutcome.Inserted or UpsertOutcome.Updated)
        {
            batch.Add("DELETE FROM image_tombstones WHERE id = @id", ("id", id));
        }

        if (MaintainsSummaries)
        {
            summary.AddTo(batch, Provider);
        }

        await batch.ExecuteAsync(connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new UpsertResult(outcome, record, released);
    }

    public Task<DeleteResult> DeleteAsync(ImageId id, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = await Provider.BeginWriteAsync(connection, cancellationToken);
            await Provider.LockAsync(connection, transaction, [LockKey("id", id.Value)], cancellationToken);
            var now = _time.GetUtcNow().UtcTicks;
            VersionRow? existing = null;
            await using (var find = Command(connection, transaction, "SELECT container, name FROM images WHERE id = @id"))
            {
                Add(find, "id", id.Value);
                string? container = null, name = null;
                await using (var reader = await find.ExecuteReaderAsync(cancellationToken))
                {
                    if (await reader.ReadAsync(cancellationToken))
                    {
                        (container, name) = (reader.GetString(0), reader.GetString(1));
                    }
                }

                if (container is not null && name is not null)
                {
                    // The name's lock after the id's, as every writer takes them; then read again under both.
                    await Provider.LockAsync(connection, transaction, [LockKey("name", container + "\n" + name)], cancellationToken);
                    existing = (await VersionsAsync(connection, transaction, container, name, cancellationToken)).FirstOrDefault(v => v.Id == id.Value);
                }
            }

            var batch = new SqlBatch();
            var summary = new SummaryChange();
            var released = new List<string>();
            batch.Add("DELETE FROM image_tombstones WHERE id = @id", ("id", id.Value));
            batch.Add("INSERT INTO image_tombstones (id, deleted_ticks, expires_ticks) VALUES (@id, @now, @expires)",
                ("id", id.Value), ("now", now), ("expires", now + _options.TombstoneRetention.Ticks));
            if (existing is not null)
            {
                Remove(batch, summary, existing, now, delete: true);
            }

            // Always: a thumbnail may exist without a record (the workflow wrote it, then the delete overtook the save).
            Release(batch, released, id, now);
            summary.AddTo(batch, Provider);
            await batch.ExecuteAsync(connection, transaction, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new DeleteResult(existing is not null, released);
        }, "delete");

    public Task<IReadOnlyList<string>> DueThumbnailDeletionsAsync(int limit, CancellationToken cancellationToken) =>
        Guard<IReadOnlyList<string>>(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var command = Command(connection, null, Provider.Limit("name", "FROM thumbnail_deletions WHERE due_ticks <= @now", "due_ticks, name"));
            Add(command, "now", _time.GetUtcNow().UtcTicks);
            Add(command, "limit", limit);
            var names = new List<string>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                names.Add(reader.GetString(0));
            }

            return names;
        }, "maintain");

    public Task CompleteThumbnailDeletionsAsync(IReadOnlyList<string> names, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            if (names.Count == 0)
            {
                return 0;
            }

            await using var connection = await OpenAsync(cancellationToken);
            var batch = new SqlBatch();
            foreach (var name in names)
            {
                batch.Add("DELETE FROM thumbnail_deletions WHERE name = @name", ("name", name));
            }

            await batch.ExecuteAsync(connection, null, cancellationToken);
            return 0;
        }, "maintain");

    public Task PostponeThumbnailDeletionsAsync(IReadOnlyList<string> names, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            if (names.Count == 0)
            {
                return 0;
            }

            // 1, 2, 4 … minutes after each failed attempt, at most an hour: an unreachable binding is not hammered.
            var now = _time.GetUtcNow().UtcTicks;
            await using var connection = await OpenAsync(cancellationToken);
            var batch = new SqlBatch();
            foreach (var name in names)
            {
                batch.Add(
                    "UPDATE thumbnail_deletions SET attempts = attempts + 1, due_ticks = @now + CASE WHEN attempts >= 6 THEN @hour ELSE @minute * " +
                    "(CASE attempts WHEN 0 THEN 1 WHEN 1 THEN 2 WHEN 2 THEN 4 WHEN 3 THEN 8 WHEN 4 THEN 16 ELSE 32 END) END WHERE name = @name",
                    ("now", now), ("hour", TimeSpan.TicksPerHour), ("minute", TimeSpan.TicksPerMinute), ("name", name));
            }

            await batch.ExecuteAsync(connection, null, cancellationToken);
            return 0;
        }, "maintain");

    public Task<int> PurgeExpiredAsync(CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            var now = _time.GetUtcNow().UtcTicks;
            var purged = 0;
            await using var connection = await OpenAsync(cancellationToken);
            // In batches, so a large backlog never holds one long transaction.
            foreach (var (table, key, condition, bound) in new[]
            {
                ("image_tombstones", "id", "expires_ticks <= @bound", now),
                ("image_removals", "n", "removed_ticks <= @bound", now - _options.TombstoneRetention.Ticks),
            })
            {
                while (true)
                {
                    await using var command = Command(connection, null, $"DELETE FROM {table} WHERE {key} IN ({Provider.Limit(key, $"FROM {table} WHERE {condition}", key)})");
                    Add(command, "bound", bound);
                    Add(command, "limit", 1000);
                    var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
                    purged += deleted;
                    if (deleted < 1000)
                    {
                        break;
                    }
                }
            }

            return purged;
        }, "maintain");

    /// <summary>Takes a version out of the current view (and out of the table when <paramref name="delete"/>): counts, and the changes feed's removal.</summary>
    private void Remove(SqlBatch batch, SummaryChange summary, VersionRow version, long now, bool delete)
    {
        if (delete)
        {
            batch.Add("DELETE FROM images WHERE id = @id", ("id", version.Id));
        }
        else
        {
            batch.Add($"{Provider.ChangeStamp.Prefix}UPDATE images SET is_current = 0{string.Concat(Provider.ChangeStamp.Assignments.Select(a => $", {a.Column} = {a.Value}"))} WHERE id = @id",
                ("id", version.Id));
        }

        if (version.IsCurrent)
        {
            summary.Add(version, -1);
            AddRemoval(batch, version.Id, now);
        }
    }

    private void AddRemoval(SqlBatch batch, string id, long now)
    {
        var stamp = Provider.ChangeStamp;
        batch.Add(
            $"{stamp.Prefix}INSERT INTO image_removals (id, removed_ticks{string.Concat(stamp.Assignments.Select(a => ", " + a.Column))}) " +
            $"VALUES (@id, @now{string.Concat(stamp.Assignments.Select(a => ", " + a.Value))})",
            ("id", id), ("now", now));
    }

    /// <summary>Queues the thumbnail blobs of an image version for deletion (those that exist; a missing one is deleted as done).</summary>
    private static void Release(SqlBatch batch, List<string> released, ImageId id, long now)
    {
        foreach (var name in ImageThumbnail.BlobNamesFor(id))
        {
            batch.Add("INSERT INTO thumbnail_deletions (name, attempts, due_ticks) SELECT @name, 0, @now WHERE NOT EXISTS (SELECT 1 FROM thumbnail_deletions WHERE name = @name)",
                ("name", name), ("now", now));
            released.Add(name);
        }
    }

    private static async Task<long?> TombstoneAsync(DbConnection connection, DbTransaction transaction, string id, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, "SELECT deleted_ticks FROM image_tombstones WHERE id = @id");
        Add(command, "id", id);
        return await command.ExecuteScalarAsync(cancellationToken) is { } value and not DBNull ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : null;
    }

    private async Task<List<VersionRow>> VersionsAsync(DbConnection connection, DbTransaction transaction, string container, string name, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, $"SELECT id, write_rank, is_current, format, status, byte_size, sort_time FROM images WHERE {Provider.SameName}");
        Add(command, "container", container);
        Add(command, "name", name);
        var versions = new List<VersionRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            versions.Add(new VersionRow(
                reader.GetString(0), reader.GetString(1), Int64(reader, 2) != 0, Text(reader, 3), reader.GetString(4),
                reader.IsDBNull(5) ? null : Int64(reader, 5), reader.GetString(6)));
        }

        return versions;
    }

    /// <summary>A 64-bit lock key for a kind of thing and its text (SHA-256, so keys of different texts practically never meet).</summary>
    private static long LockKey(string kind, string text) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(kind + ":" + text)), 0);

    private static (string Name, object? Value)[] Parameters(Dictionary<string, object?> row) => row.Select(p => (p.Key, p.Value)).ToArray();

    /// <summary>
    /// What one write changes in <c>image_summary</c>: per (kind, bucket) the change of image count and bytes, added in one
    /// statement to one shard chosen at random (<see cref="StoreProvider.SummaryShards"/>).
    /// </summary>
    private sealed class SummaryChange
    {
        private const long Half = 1L << 32;
        // Ordinal order, the same in every instance whatever its culture: transactions lock shared rows in one order.
        private readonly SortedDictionary<(string Kind, string Bucket), (long Images, long High, long Low)> _rows = new(
            Comparer<(string Kind, string Bucket)>.Create((a, b) => string.CompareOrdinal(a.Kind, b.Kind) is var c and not 0 ? c : string.CompareOrdinal(a.Bucket, b.Bucket)));

        public void Add(VersionRow version, int sign)
        {
            var bytes = version.ByteSize ?? 0;
            Add("format", (version.Format ?? string.Empty) + "/" + version.Status, sign, sign * (bytes / Half), sign * (bytes % Half));
            Add("month", version.SortTime.Length >= 7 ? version.SortTime[..7] : version.SortTime, sign, 0, 0);
        }

        public void AddTo(SqlBatch batch, StoreProvider provider)
        {
            var rows = _rows.Where(r => r.Value != default).ToList();
            if (rows.Count == 0)
            {
                return;
            }

            var parameters = new List<(string, object?)> { ("shard", Random.Shared.Next(provider.SummaryShards)) };
            for (var i = 0; i < rows.Count; i++)
            {
                var ((kind, bucket), (images, high, low)) = rows[i];
                parameters.AddRange([($"k{i}", kind), ($"b{i}", bucket), ($"i{i}", images), ($"h{i}", high), ($"l{i}", low)]);
            }

            batch.Add(provider.SummaryUpsert(rows.Count), [.. parameters]);
        }

        private void Add(string kind, string bucket, long images, long high, long low)
        {
            var now = _rows.GetValueOrDefault((kind, bucket));
            _rows[(kind, bucket)] = (now.Images + images, now.High + high, now.Low + low);
        }
    }
}
