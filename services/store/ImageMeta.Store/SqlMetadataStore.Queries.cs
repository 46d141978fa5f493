using System.Globalization;
using ImageMeta.Contracts;
using ImageMeta.Store.Text;

namespace ImageMeta.Store;

/// <summary>Listing (filters, keyset pages in either order) and the similar-images search.</summary>
public sealed partial class SqlMetadataStore
{
    public Task<ImagePage> QueryAsync(ImageQuery query, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken);
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

            if (!query.AllVersions)
            {
                where.Add("is_current = 1");
            }

            Filter("format = @format", "format", query.Format);
            Filter("status = @status", "status", query.Status);
            Filter("width >= @minWidth", "minWidth", query.MinWidth);
            Filter("width <= @maxWidth", "maxWidth", query.MaxWidth);
            Filter("height >= @minHeight", "minHeight", query.MinHeight);
            Filter("height <= @maxHeight", "maxHeight", query.MaxHeight);
            // Folded keys on both sides (SearchText.Fold), compared as code units: the same answer on every provider,
            // where LOWER knows only ASCII on SQLite and follows the locale on PostgreSQL.
            Filter("camera_key LIKE @camera ESCAPE '\\'", "camera", query.Camera is null ? null : Contains(SearchText.Fold(query.Camera)!));
            Filter("lens_key LIKE @lens ESCAPE '\\'", "lens", query.Lens is null ? null : Contains(SearchText.Fold(query.Lens)!));
            Filter("iso >= @minIso", "minIso", query.MinIso);
            Filter("iso <= @maxIso", "maxIso", query.MaxIso);
            Filter("focal_length >= @minFocalLength", "minFocalLength", query.MinFocalLength);
            Filter("focal_length <= @maxFocalLength", "maxFocalLength", query.MaxFocalLength);
            // taken_local is text "yyyy-MM-ddTHH:mm:ss" on every provider, so bounds compare as text of the same shape.
            Filter("taken_local >= @takenFrom", "takenFrom", query.TakenFrom?.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture));
            Filter("taken_local <= @takenTo", "takenTo", query.TakenTo?.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture));
            Filter("container = @container", "container", query.Container);
            if (query.Name is { } name)
            {
                where.Add(Provider.SameName);
                Add(command, "name", name);
                if (query.Container is null)
                {
                    throw new ArgumentException("A name filter needs the container.", nameof(query));
                }
            }

            Filter("sha256 = @sha256", "sha256", query.Sha256?.ToLowerInvariant());
            Filter("failure_class = @failureClass", "failureClass", query.FailureClass);
            Filter("extractor_version < @extractorVersionBelow", "extractorVersionBelow", query.ExtractorVersionBelow);
            Filter("processed_at < @processedBefore", "processedBefore", query.ProcessedBefore is { } before ? Provider.ProcessedAtValue(before) : null);
            if (query.HasGps is { } hasGps)
            {
                // A position is written whole (latitude and longitude together), so the latitude column decides.
                where.Add(hasGps ? "gps_latitude IS NOT NULL" : "gps_latitude IS NULL");
            }

            if (query.Near is { } near)
            {
                // The close hashes first (the band indexes' candidates, checked), then the page over those rows only.
                where.Add($"seq IN (SELECT c.seq FROM ({HashCandidates(command, near)}) c WHERE {Provider.HammingDistance("c.perceptual_hash", "@nearHash")} <= @nearDistance{Provider.SubqueryFence}) AND id <> @nearExclude");
                Add(command, "nearHash", HashColumn(near.Hash));
                Add(command, "nearDistance", near.MaxDistance);
                Add(command, "nearExclude", near.Exclude.Value);
            }

            string orderBy;
            if (query.Order == ImageOrder.Taken)
            {
                Filter("sort_time < @takenBefore", "takenBefore", query.TakenBefore);
                if (query.After is { } after)
                {
                    // The first condition bounds the index range; the second breaks ties within one second by insertion.
                    where.Add("sort_time <= @afterTime AND (sort_time < @afterTime OR seq < @afterSeq)");
                    Add(command, "afterTime", after.SortTime);
                    Add(command, "afterSeq", after.Seq);
                }

                orderBy = "sort_time DESC, seq DESC";
            }
            else
            {
                Filter("seq < @afterSeq", "afterSeq", query.After?.Seq);
                orderBy = "seq DESC";
            }

            Add(command, "limit", query.Limit + 1);
            var whereClause = where.Count == 0 ? string.Empty : " WHERE " + string.Join(" AND ", where);
            command.CommandText = Provider.Limit("seq, sort_time, record_json", "FROM images" + whereClause, orderBy);

            var items = new List<(long Seq, string SortTime, ImageRecord Record)>();
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    items.Add((reader.GetInt64(0), reader.GetString(1), Deserialize(reader.GetString(2))));
                }
            }

            var page = items.Take(query.Limit).ToList();
            var next = items.Count > query.Limit
                ? PageCursor.Encode(new PageKey(query.Order, page[^1].Seq, query.Order == ImageOrder.Taken ? page[^1].SortTime : null))
                : null;
            return new ImagePage(page.Select(i => i.Record).ToList(), next);
        });

    public Task<IReadOnlyList<SimilarImage>> SimilarAsync(HashNeighbourhood near, int limit, CancellationToken cancellationToken) =>
        Guard<IReadOnlyList<SimilarImage>>(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            // The candidates come from the band indexes, which hold the hash (and seq), so the check never touches the
            // JSON; the few rows within the distance are then joined back for their records.
            command.CommandText = Provider.Limit(
                "d.distance, i.record_json",
                $"FROM (SELECT c.seq, {Provider.HammingDistance("c.perceptual_hash", "@hash")} AS distance FROM ({HashCandidates(command, near)}) c) d " +
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

    /// <summary>
    /// A SELECT of <c>(seq, perceptual_hash)</c> that holds every current hashed row within the distance (and others, to
    /// be checked): through the band indexes (<see cref="HashBands"/>, one index lookup per band value within each band's
    /// radius, duplicates merged by UNION) while that is at most <see cref="HashBands.MaxLookups"/> values; beyond, every
    /// hashed row (a scan of the hash index), which is then about as cheap. Adds its list parameters to the command.
    /// </summary>
    private string HashCandidates(System.Data.Common.DbCommand command, HashNeighbourhood near)
    {
        const string Hashed = "FROM images WHERE is_current = 1 AND perceptual_hash IS NOT NULL";
        if (HashBands.Lookups(near.MaxDistance) is null)
        {
            return $"SELECT seq, perceptual_hash {Hashed}";
        }

        var radii = HashBands.Radii(near.MaxDistance);
        var lookups = new List<string>(HashBands.Count);
        for (var band = 0; band < HashBands.Count; band++)
        {
            if (radii[band] < 0)
            {
                continue;
            }

            lookups.Add($"SELECT seq, perceptual_hash {Hashed} AND {Provider.InList(HashBands.Columns[band], $"@band{band}", ListType.Number)}");
            Add(command, $"band{band}", Provider.ListValue(HashBands.Within(HashBands.Band(near.Hash, band), radii[band], HashBands.Bits[band])));
        }

        return string.Join(" UNION ", lookups);
    }
}
