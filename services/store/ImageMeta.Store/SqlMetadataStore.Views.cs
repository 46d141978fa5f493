using System.Globalization;
using ImageMeta.Contracts;

namespace ImageMeta.Store;

/// <summary>The summary views: stats and the timeline from the maintained rows, positions in a box, the changes feed, the lookup.</summary>
public sealed partial class SqlMetadataStore
{
    /// <summary>Grid cells per side of a box whose positions are clustered: at most 16 × 16 clusters.</summary>
    public const int PositionGrid = 16;

    /// <summary>Most ids one lookup may ask about.</summary>
    public const int MaxLookupIds = 500;

    public Task<ImageStats> StatsAsync(CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken);
            var byFormat = new SortedDictionary<string, long>(StringComparer.Ordinal);
            var byStatus = new SortedDictionary<string, long>(StringComparer.Ordinal);
            long total = 0;
            decimal bytes = 0;
            foreach (var (bucket, count, high, low) in await SummaryAsync(connection, "format", cancellationToken))
            {
                var slash = bucket.LastIndexOf('/');
                var (format, status) = (bucket[..slash], bucket[(slash + 1)..]);
                if (format.Length > 0)
                {
                    byFormat[format] = byFormat.GetValueOrDefault(format) + count;
                }

                byStatus[status] = byStatus.GetValueOrDefault(status) + count;
                total += count;
                bytes += (high * 4294967296m) + low;
            }

            var stats = new ImageStats(total, byFormat, byStatus, bytes);
            if (_options.NearDuplicateGroupsRefresh <= TimeSpan.Zero)
            {
                // Computed for every answer: no age to report.
                var counted = await CountGroupsAsync(connection, cancellationToken);
                return stats with { NearDuplicateGroups = counted.Groups, NearDuplicateImages = counted.Images, NearDuplicateGroupsNotCounted = counted.NotCounted };
            }

            if (_groups is not { } figures)
            {
                // Nothing computed yet: this answer waits for the figures, then keeps them (labelled like later answers,
                // so the next answer's ETag matches while nothing changed).
                figures = _groups = await CountGroupsAsync(connection, cancellationToken);
            }

            if (_time.GetUtcNow() - figures.AsOf >= _options.NearDuplicateGroupsRefresh && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0)
            {
                // One refresh at a time, off the request: this answer and the others meanwhile carry the older figures, labelled.
                _ = Task.Run(RefreshGroupsAsync, CancellationToken.None);
            }

            return stats with
            {
                NearDuplicateGroups = figures.Groups,
                NearDuplicateImages = figures.Images,
                NearDuplicateGroupsAsOf = figures.AsOf,
                NearDuplicateGroupsNotCounted = figures.NotCounted,
            };
        });

    /// <summary>The near-duplicate figures and when they were computed; null figures with the reason when not counted.</summary>
    private sealed record GroupFigures(long? Groups, long? Images, DateTimeOffset AsOf, string? NotCounted = null);

    private volatile GroupFigures? _groups;
    private int _refreshing;

    private async Task RefreshGroupsAsync()
    {
        try
        {
            await Guard(async () =>
            {
                await using var connection = await OpenAsync(CancellationToken.None);
                _groups = await CountGroupsAsync(connection, CancellationToken.None);
                return 0;
            }, "stats");
        }
        catch (StoreUnavailableException)
        {
            // Counted by Guard; the older figures stay and the next stats request tries again.
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    /// <summary>
    /// Groups need every hash (one narrow scan of the partial index), compared in memory: at most
    /// <see cref="StoreOptions.NearDuplicateGroupsMaxImages"/> of them, read into one array that grows as they come, so
    /// a library above the limit costs the read up to the limit and no more.
    /// </summary>
    private async Task<GroupFigures> CountGroupsAsync(System.Data.Common.DbConnection connection, CancellationToken cancellationToken)
    {
        var max = _options.NearDuplicateGroupsMaxImages;
        await using var hashes = Command(connection, null, Provider.Limit("perceptual_hash", "FROM images WHERE perceptual_hash IS NOT NULL AND is_current = 1", null));
        Add(hashes, "limit", max + 1);
        var all = new ulong[Math.Min(max + 1, 4096)];
        var count = 0;
        await using (var hashReader = await hashes.ExecuteReaderAsync(cancellationToken))
        {
            while (await hashReader.ReadAsync(cancellationToken))
            {
                if (count == max)
                {
                    return new GroupFigures(null, null, _time.GetUtcNow(),
                        $"More than {max.ToString("N0", CultureInfo.InvariantCulture)} hashed images: near-duplicate groups are counted up to Store:NearDuplicateGroupsMaxImages.");
                }

                if (count == all.Length)
                {
                    Array.Resize(ref all, (int)Math.Min(max, 2L * all.Length));
                }

                all[count++] = unchecked((ulong)hashReader.GetInt64(0));
            }
        }

        var (groups, images) = NearDuplicateGroups.Count(all.AsSpan(0, count), PerceptualHash.NearDuplicateDistance);
        return new GroupFigures(groups, images, _time.GetUtcNow());
    }

    public Task<ImageTimeline> TimelineAsync(string? status, string? format, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken);
            IEnumerable<(string Bucket, long Count)> months;
            if (status is null && format is null)
            {
                months = (await SummaryAsync(connection, "month", cancellationToken)).Select(r => (r.Bucket, r.Images));
            }
            else
            {
                // Filtered counts are not maintained: a scan of the matching current rows, grouped by month.
                var month = Provider.Prefix("sort_time", 7);
                var where = new List<string> { "is_current = 1" };
                await using var command = connection.CreateCommand();
                if (status is not null)
                {
                    where.Add("status = @status");
                    Add(command, "status", status);
                }

                if (format is not null)
                {
                    where.Add("format = @format");
                    Add(command, "format", format);
                }

                command.CommandText = $"SELECT {month}, COUNT(*) FROM images WHERE {string.Join(" AND ", where)} GROUP BY {month}";
                var counted = new List<(string, long)>();
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    counted.Add((reader.GetString(0), Int64(reader, 1)));
                }

                months = counted;
            }

            var timeline = new List<TimelineMonth>();
            foreach (var (bucket, count) in months.Where(m => m.Count > 0).OrderByDescending(m => m.Bucket, StringComparer.Ordinal))
            {
                if (bucket.Length == 7 && int.TryParse(bucket[..4], NumberStyles.None, CultureInfo.InvariantCulture, out var year)
                    && int.TryParse(bucket[5..], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                {
                    timeline.Add(new TimelineMonth(year, number, count));
                }
            }

            return new ImageTimeline(timeline);
        }, "timeline");

    public Task<ImagePositions> PositionsAsync(BoundingBox box, int limit, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            const string InBox = "FROM images WHERE is_current = 1 AND gps_latitude IS NOT NULL AND gps_latitude BETWEEN @minLat AND @maxLat AND gps_longitude BETWEEN @minLon AND @maxLon";
            await using var connection = await OpenAsync(cancellationToken);
            void Bounds(System.Data.Common.DbCommand command)
            {
                Add(command, "minLat", box.MinLat);
                Add(command, "maxLat", box.MaxLat);
                Add(command, "minLon", box.MinLon);
                Add(command, "maxLon", box.MaxLon);
            }

            // One more than the limit says whether the box holds more than the caller wants as points.
            var points = new List<ImagePosition>();
            await using (var command = Command(connection, null, Provider.Limit("id, gps_latitude, gps_longitude", InBox, "gps_latitude, gps_longitude")))
            {
                Bounds(command);
                Add(command, "limit", limit + 1);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    points.Add(new ImagePosition(ImageId.TryParse(reader.GetString(0), out var id) ? id : default, reader.GetDouble(1), reader.GetDouble(2)));
                }
            }

            if (points.Count <= limit)
            {
                return new ImagePositions(points, [], points.Count);
            }

            // Too many for points: counts and mean positions per cell of a grid over the box, computed in the database.
            var latScale = box.MaxLat > box.MinLat ? PositionGrid / (box.MaxLat - box.MinLat) : 0;
            var lonScale = box.MaxLon > box.MinLon ? PositionGrid / (box.MaxLon - box.MinLon) : 0;
            var cells = new Dictionary<(int, int), (long Count, double Lat, double Lon)>();
            await using (var command = Command(connection, null,
                $"SELECT cy, cx, COUNT(*), AVG(gps_latitude), AVG(gps_longitude) FROM (SELECT {Provider.Floor("(gps_latitude - @minLat) * @latScale")} AS cy, " +
                $"{Provider.Floor("(gps_longitude - @minLon) * @lonScale")} AS cx, gps_latitude, gps_longitude {InBox}) c GROUP BY cy, cx"))
            {
                Bounds(command);
                Add(command, "latScale", latScale);
                Add(command, "lonScale", lonScale);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    // A position on the box's north or east edge falls one cell beyond the grid: it joins the last cell.
                    var cell = (Math.Min((int)Int64(reader, 0), PositionGrid - 1), Math.Min((int)Int64(reader, 1), PositionGrid - 1));
                    var (count, lat, lon) = (Int64(reader, 2), Convert.ToDouble(reader.GetValue(3), CultureInfo.InvariantCulture), Convert.ToDouble(reader.GetValue(4), CultureInfo.InvariantCulture));
                    var before = cells.GetValueOrDefault(cell);
                    var merged = before.Count + count;
                    cells[cell] = (merged, ((before.Lat * before.Count) + (lat * count)) / merged, ((before.Lon * before.Count) + (lon * count)) / merged);
                }
            }

            var clusters = cells.OrderBy(c => c.Key).Select(c => new PositionCluster(c.Value.Lat, c.Value.Lon, c.Value.Count)).ToList();
            return new ImagePositions([], clusters, clusters.Sum(c => c.Count));
        }, "positions");

    public Task<ImageChanges> ChangesAsync(ChangeToken? after, int limit, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            var stamp = Provider.ChangeStamp;
            var now = _time.GetUtcNow();
            await using var connection = await OpenAsync(cancellationToken);
            long bound;
            await using (var read = Command(connection, null, stamp.Bound))
            {
                bound = Convert.ToInt64(await read.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
            }

            if (after is null)
            {
                var (tx, seq) = stamp.Start(bound);
                return new ImageChanges([], [], ChangeCursor.Encode(new ChangeToken(tx, seq, now)));
            }

            var changes = new List<(long Tx, long Seq, ImageRecord? Record, ImageId? Removed)>();
            foreach (var (columns, from) in new[] { ("record_json", "images WHERE is_current = 1 AND "), ("id", "image_removals WHERE ") })
            {
                await using var command = Command(connection, null, Provider.Limit($"{stamp.KeyColumns}, {columns}", $"FROM {from}{stamp.After} AND {stamp.Visible}", stamp.Order));
                Add(command, "afterTx", after.Tx);
                Add(command, "afterSeq", after.Seq);
                Add(command, "visibleBelow", bound);
                Add(command, "limit", limit);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    changes.Add(columns == "id"
                        ? (Int64(reader, 0), Int64(reader, 1), null, ImageId.TryParse(reader.GetString(2), out var id) ? id : null)
                        : (Int64(reader, 0), Int64(reader, 1), Deserialize(reader.GetString(2)), null));
                }
            }

            // Both lists are in key order; together, the first `limit` keys are what this answer covers.
            var page = changes.OrderBy(c => c.Tx).ThenBy(c => c.Seq).Take(limit).ToList();
            var last = page.Count > 0 ? (page[^1].Tx, page[^1].Seq) : (after.Tx, after.Seq);
            return new ImageChanges(
                page.Where(c => c.Record is not null).Select(c => c.Record!).ToList(),
                page.Where(c => c.Removed is not null).Select(c => c.Removed!.Value).ToList(),
                ChangeCursor.Encode(new ChangeToken(last.Item1, last.Item2, now)));
        }, "changes");

    /// <summary>Whether a changes token is too old to be answered completely: removals older than the retention are purged.</summary>
    public bool IsExpired(ChangeToken token) => token.IssuedAt < _time.GetUtcNow() - _options.TombstoneRetention;

    public Task<ImageNamePage> NamesAsync(string container, string? after, string? through, int limit, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            ArgumentException.ThrowIfNullOrEmpty(container);
            ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, ImageNamesRequest.MaxLimit);
            await using var connection = await OpenAsync(cancellationToken);
            await using var command = Command(connection, null, NamesCommandText(after is not null, through is not null));
            Add(command, "container", container);
            if (after is not null)
            {
                Add(command, "after", after);
            }

            if (through is not null)
            {
                Add(command, "through", through);
            }

            // One row more than asked tells whether another page follows.
            Add(command, "limit", limit + 1);
            var rows = new List<ImageNameRow>(Math.Min(limit + 1, 64));
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows.Add(new ImageNameRow(ImageId.Parse(reader.GetString(0)), reader.GetString(1), Text(reader, 2), Text(reader, 3)));
                }
            }

            return rows.Count > limit ? new ImageNamePage(rows[..limit], rows[limit - 1].BlobName) : new ImageNamePage(rows, null);
        }, "names");

    /// <summary>
    /// The SELECT of <see cref="NamesAsync"/>, with parameters <c>@container</c>, <c>@limit</c> and, when asked,
    /// <c>@after</c> and <c>@through</c> (public so its query plan can be checked).
    /// </summary>
    public string NamesCommandText(bool after, bool through)
    {
        var order = Provider.NameOrder;
        var where = new List<string> { "is_current = 1", "container = @container" };
        if (after)
        {
            where.Add(order.After);
        }

        if (through)
        {
            where.Add(order.Through);
        }

        return Provider.Limit("id, name, version, failure_class", "FROM images WHERE " + string.Join(" AND ", where), order.Order);
    }

    public Task<ImageLookup> LookupAsync(IReadOnlyList<ImageId> ids, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(ids.Count, MaxLookupIds);
            if (ids.Count == 0)
            {
                return new ImageLookup([], []);
            }

            var keys = ids.Select(i => i.Value).Distinct(StringComparer.Ordinal).ToList();
            await using var connection = await OpenAsync(cancellationToken);
            var records = new List<ImageSummary>();
            await using (var command = Command(connection, null, $"SELECT record_json FROM images WHERE {Provider.InList("id", "@ids", ListType.Key)}"))
            {
                Add(command, "ids", Provider.ListValue(keys));
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var record = Deserialize(reader.GetString(0));
                    records.Add(new ImageSummary(record.Id, record.Status, record.Failure?.Class, record.ExtractorVersion, record.Blob));
                }
            }

            var deleted = new List<ImageId>();
            await using (var command = Command(connection, null, $"SELECT id FROM image_tombstones WHERE expires_ticks > @now AND {Provider.InList("id", "@ids", ListType.Key)}"))
            {
                Add(command, "ids", Provider.ListValue(keys));
                Add(command, "now", _time.GetUtcNow().UtcTicks);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    if (ImageId.TryParse(reader.GetString(0), out var id))
                    {
                        deleted.Add(id);
                    }
                }
            }

            return new ImageLookup(records.OrderBy(r => r.Id.Value, StringComparer.Ordinal).ToList(), deleted.OrderBy(d => d.Value, StringComparer.Ordinal).ToList());
        }, "lookup");

    /// <summary>
    /// Counts the summary rows again from the current images, in one transaction: after a bulk load that bypassed the
    /// writes (bench/store), or to check them. Writers wait meanwhile on SQLite; elsewhere a write committing during the
    /// recount may be counted twice or not at all, so run it while nothing writes.
    /// </summary>
    public Task RecountSummariesAsync(CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = await Provider.BeginWriteAsync(connection, cancellationToken);
            var rows = new List<(string Kind, string Bucket, long Images, long High, long Low)>();
            await using (var formats = Command(connection, transaction,
                "SELECT format, status, COUNT(*), COALESCE(SUM(byte_size / 4294967296), 0), COALESCE(SUM(byte_size % 4294967296), 0) FROM images WHERE is_current = 1 GROUP BY format, status"))
            {
                await using var reader = await formats.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows.Add(("format", (Text(reader, 0) ?? string.Empty) + "/" + reader.GetString(1), Int64(reader, 2), Int64(reader, 3), Int64(reader, 4)));
                }
            }

            var month = Provider.Prefix("sort_time", 7);
            await using (var months = Command(connection, transaction, $"SELECT {month}, COUNT(*) FROM images WHERE is_current = 1 GROUP BY {month}"))
            {
                await using var reader = await months.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows.Add(("month", reader.GetString(0), Int64(reader, 1), 0, 0));
                }
            }

            var batch = new SqlBatch();
            batch.Add("DELETE FROM image_summary");
            foreach (var (kind, bucket, images, high, low) in rows)
            {
                batch.Add("INSERT INTO image_summary (kind, bucket, shard, images, bytes_high, bytes_low) VALUES (@k, @b, 0, @i, @h, @l)",
                    ("k", kind), ("b", bucket), ("i", images), ("h", high), ("l", low));
            }

            await batch.ExecuteAsync(connection, transaction, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return 0;
        }, "maintain");

    /// <summary>The summary rows of one kind, shards summed.</summary>
    private static async Task<List<(string Bucket, long Images, long High, long Low)>> SummaryAsync(System.Data.Common.DbConnection connection, string kind, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null, "SELECT bucket, SUM(images), SUM(bytes_high), SUM(bytes_low) FROM image_summary WHERE kind = @kind GROUP BY bucket");
        Add(command, "kind", kind);
        var rows = new List<(string, long, long, long)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((reader.GetString(0), Int64(reader, 1), Int64(reader, 2), Int64(reader, 3)));
        }

        return rows.Where(r => r.Item2 != 0).ToList();
    }
}
