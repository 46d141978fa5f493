using ImageMeta.Contracts;

namespace ImageMeta.Store.Tests;

/// <summary>What the validator refuses before anything reaches a database: the same on every provider.</summary>
public sealed class ImageRecordValidatorTests
{
    private static readonly ImageRecord Good = SampleRecords.Succeeded("v/a.jpg");

    /// <summary>The record with one string field replaced, for each string field a record has.</summary>
    private static readonly Dictionary<string, Func<string, ImageRecord>> WithField = new(StringComparer.Ordinal)
    {
        ["blob.container"] = v => Reidentified(Good.Blob with { Container = v }),
        ["blob.name"] = v => Reidentified(Good.Blob with { Name = v }),
        ["blob.version"] = v => Reidentified(Good.Blob with { Version = v }),
        ["metadata.format"] = v => Good with { Metadata = Good.Metadata! with { Format = v } },
        ["metadata.mimeType"] = v => Good with { Metadata = Good.Metadata! with { MimeType = v } },
        ["metadata.colorType"] = v => Good with { Metadata = Good.Metadata! with { ColorType = v } },
        ["metadata.exif.cameraMake"] = v => Good with { Metadata = Good.Metadata! with { Exif = Good.Metadata.Exif! with { CameraMake = v } } },
        ["metadata.exif.cameraModel"] = v => Good with { Metadata = Good.Metadata! with { Exif = Good.Metadata.Exif! with { CameraModel = v } } },
        ["metadata.exif.lensModel"] = v => Good with { Metadata = Good.Metadata! with { Exif = Good.Metadata.Exif! with { LensModel = v } } },
        ["failure.class"] = v => SampleRecords.Failed("v/f.jpg") with { Failure = new ProcessingFailure(v, "damaged") },
        ["failure.message"] = v => SampleRecords.Failed("v/f.jpg") with { Failure = new ProcessingFailure(FailureClass.Corrupt, v) },
    };

    private static ImageRecord Reidentified(BlobReference blob) => Good with { Blob = blob, Id = blob.ImageId };

    public static TheoryData<string> Fields() => new(WithField.Keys);

    [Theory]
    [MemberData(nameof(Fields))]
    public void A_control_character_in_any_string_is_refused(string field)
    {
        foreach (var bad in new[] { "a\0b", "a\u0007b", "a\u001bb", "a\u007fb", "a\u0085b", "a\ud800b" })
        {
            var record = WithField[field](bad);

            Assert.Contains(field, ImageRecordValidator.Validate(record.Id.Value, record).Keys);
        }
    }

    [Theory]
    [MemberData(nameof(Fields))]
    public void A_string_over_its_bound_is_refused(string field)
    {
        var record = WithField[field](new string('a', ImageRecordValidator.MaxFailureMessage + 1));

        Assert.Contains(field, ImageRecordValidator.Validate(record.Id.Value, record).Keys);
    }

    [Fact]
    public void Plain_text_with_emoji_and_a_multi_line_failure_message_is_accepted()
    {
        var named = Reidentified(Good.Blob with { Name = "fotos/Zürich 🌄 ‮x.jpg" });
        var failed = SampleRecords.Failed("v/f.jpg") with { Failure = new ProcessingFailure(FailureClass.Corrupt, "line one\r\n\tline two") };

        Assert.Empty(ImageRecordValidator.Validate(named.Id.Value, named));
        Assert.Empty(ImageRecordValidator.Validate(failed.Id.Value, failed));
    }

    [Theory]
    [InlineData("2024-05-01T14:03:07", true)]
    [InlineData("2024-05-01T14:03:07+02:00", true)]
    [InlineData("2024-05-01T14:03:07-14:00", true)]
    [InlineData("2024-05-01T14:03:07Z", true)]
    [InlineData("2024-05-01T14:03:07 lol", false)]
    [InlineData("2024-05-01T14:03:07+02:00 lol", false)]
    [InlineData("2024-05-01T14:03:07+15:00", false)]
    [InlineData("2024-05-01T14:03:07.5", false)]
    [InlineData("2024-05-01 14:03:07", false)]
    [InlineData("2024-02-30T14:03:07", false)]
    [InlineData("2024-05-01", false)]
    public void TakenAt_is_validated_in_full(string takenAt, bool valid)
    {
        var record = Good with { Metadata = Good.Metadata! with { Exif = Good.Metadata.Exif! with { TakenAt = takenAt } } };

        Assert.Equal(!valid, ImageRecordValidator.Validate(record.Id.Value, record).ContainsKey("metadata.exif.takenAt"));
    }

    [Theory]
    [InlineData(1L << 62)]
    [InlineData(ImageRecordValidator.MaxByteSize + 1)]
    [InlineData(-1L)]
    public void A_size_outside_the_bound_is_refused(long size)
    {
        var byteSize = Good with { Metadata = Good.Metadata! with { ByteSize = size } };
        var blobSize = Good with { Blob = Good.Blob with { Size = size } };

        Assert.Contains("metadata.byteSize", ImageRecordValidator.Validate(byteSize.Id.Value, byteSize).Keys);
        Assert.Contains("blob.size", ImageRecordValidator.Validate(blobSize.Id.Value, blobSize).Keys);
    }

    [Fact]
    public void The_largest_size_allowed_is_accepted()
    {
        var record = SampleRecords.Succeeded("v/huge.tif", bytes: ImageRecordValidator.MaxByteSize);

        Assert.Empty(ImageRecordValidator.Validate(record.Id.Value, record));
    }

    public static TheoryData<string, ImageRecord> BadThumbnails()
    {
        var t = Good.WithThumbnail(0xFFFF_FFFF_FFFF_FFFF);
        var thumb = t.Thumbnail!;
        return new()
        {
            { "thumbnail.name", t with { Thumbnail = thumb with { Name = ImageThumbnail.NameFor(SampleRecords.Succeeded("v/other.jpg").Id) } } },
            { "thumbnail.name", t with { Thumbnail = thumb with { Name = t.Id.Value + ".png" } } },
            { "thumbnail.width", t with { Thumbnail = thumb with { Width = 0 } } },
            { "thumbnail.height", t with { Thumbnail = thumb with { Height = ImageThumbnail.MaxEdge + 1 } } },
            { "thumbnail.bytes", t with { Thumbnail = thumb with { Bytes = 0 } } },
            { "thumbnail.bytes", t with { Thumbnail = thumb with { Bytes = ImageRecordValidator.MaxThumbnailBytes + 1 } } },
            { "thumbnail.perceptualHash", t with { Thumbnail = thumb with { PerceptualHash = "fffffffffffffff" } } },
            { "thumbnail.perceptualHash", t with { Thumbnail = thumb with { PerceptualHash = "FFFFFFFFFFFFFFFF" } } },
            { "thumbnail.perceptualHash", t with { Thumbnail = thumb with { PerceptualHash = "-fffffffffffffff" } } },
            { "thumbnailFailure", t with { ThumbnailFailure = new ProcessingFailure(FailureClass.Corrupt, "both at once") } },
            { "thumbnailFailure.class", Good with { ThumbnailFailure = new ProcessingFailure("mystery", "unknown class") } },
            { "thumbnailFailure.class", Good with { ThumbnailFailure = new ProcessingFailure(string.Empty, "no class") } },
            { "thumbnailFailure.message", Good with { ThumbnailFailure = new ProcessingFailure(FailureClass.Corrupt, "a\0b") } },
        };
    }

    [Theory]
    [MemberData(nameof(BadThumbnails))]
    public void A_bad_thumbnail_or_thumbnail_failure_is_refused_naming_the_field(string field, ImageRecord record) =>
        Assert.Contains(field, ImageRecordValidator.Validate(record.Id.Value, record).Keys);

    [Fact]
    public void Thumbnails_at_their_bounds_and_known_thumbnail_failures_are_accepted()
    {
        var largest = Good.WithThumbnail(0xFFFF_FFFF_FFFF_FFFF, width: ImageThumbnail.MaxEdge, height: 1, bytes: ImageRecordValidator.MaxThumbnailBytes);
        var failedImage = SampleRecords.Failed("v/f.jpg").WithThumbnail(0);

        Assert.Empty(ImageRecordValidator.Validate(largest.Id.Value, largest));
        Assert.Empty(ImageRecordValidator.Validate(failedImage.Id.Value, failedImage));
        foreach (var failureClass in new[] { FailureClass.Empty, FailureClass.Unsupported, FailureClass.Corrupt, FailureClass.TooLarge, FailureClass.NotFound, FailureClass.Unavailable })
        {
            var record = Good with { ThumbnailFailure = new ProcessingFailure(failureClass, "why") };
            Assert.Empty(ImageRecordValidator.Validate(record.Id.Value, record));
        }
    }

    [Fact]
    public void A_record_without_a_sha256_is_refused_although_the_contract_allows_it_for_header_only_scans()
    {
        var record = Good with { Metadata = Good.Metadata! with { Sha256 = null } };

        Assert.Equal(["SHA-256 is 64 hexadecimal characters."], ImageRecordValidator.Validate(record.Id.Value, record)["metadata.sha256"]);
    }
}

/// <summary>How big the connection pools are when the connection string does not say.</summary>
public sealed class PoolSizeTests
{
    // PostgreSQL's default max_connections minus its default superuser_reserved_connections.
    private const int PostgresDefaultUsableConnections = 100 - 3;

    [Fact]
    public void Without_a_size_in_the_connection_string_the_pool_is_below_PostgreSQLs_default_limit()
    {
        using var provider = new PostgresStoreProvider("Host=127.0.0.1;Port=1;Username=u;Password=p;Database=d");

        Assert.Equal(StoreOptions.DefaultMaxPoolSize, provider.MaxPoolSize);
        Assert.InRange(provider.MaxPoolSize, 1, PostgresDefaultUsableConnections - 1);
    }

    [Theory]
    [InlineData("Maximum Pool Size=7")]
    [InlineData("maxpoolsize=7")]
    public void A_size_in_the_connection_string_wins(string setting)
    {
        using var provider = new PostgresStoreProvider($"Host=127.0.0.1;Port=1;Database=d;{setting}", defaultMaxPoolSize: 40);

        Assert.Equal(7, provider.MaxPoolSize);
    }

    [Fact]
    public void The_configured_size_applies_to_PostgreSQL_and_SQL_Server()
    {
        var postgres = (PostgresStoreProvider)StoreProvider.Create(new StoreOptions { Provider = StoreProviders.Postgres, MaxPoolSize = 12 }, "Host=127.0.0.1;Database=d", AppContext.BaseDirectory);
        var sqlServer = (SqlServerStoreProvider)StoreProvider.Create(new StoreOptions { Provider = StoreProviders.SqlServer, MaxPoolSize = 12 }, "Server=127.0.0.1;Database=d", AppContext.BaseDirectory);

        Assert.Equal(12, postgres.MaxPoolSize);
        Assert.Equal(12, sqlServer.MaxPoolSize);
        Assert.Equal(9, new SqlServerStoreProvider("Server=127.0.0.1;Database=d;Max Pool Size=9").MaxPoolSize);
        postgres.Dispose();
    }

    [Fact]
    public void The_service_runs_with_ICU_which_SQL_Servers_client_requires()
    {
        // The service's own runtime configuration, as published; SqlClient throws in invariant mode.
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "ImageMeta.Store.Service.runtimeconfig.json")));

        Assert.False(config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").GetProperty("System.Globalization.Invariant").GetBoolean());
    }
}

/// <summary>The group count against a brute-force single-linkage count on the same hashes.</summary>
public sealed class NearDuplicateGroupsTests
{
    private static (long Groups, long Images) BruteForce(ulong[] hashes, int maxDistance)
    {
        var parent = Enumerable.Range(0, hashes.Length).ToArray();
        int Find(int i) => parent[i] == i ? i : parent[i] = Find(parent[i]);
        for (var i = 0; i < hashes.Length; i++)
        {
            for (var j = i + 1; j < hashes.Length; j++)
            {
                if (PerceptualHash.Distance(hashes[i], hashes[j]) <= maxDistance)
                {
                    parent[Find(i)] = Find(j);
                }
            }
        }

        var sizes = Enumerable.Range(0, hashes.Length).GroupBy(Find).Select(g => g.Count()).Where(n => n >= 2).ToList();
        return (sizes.Count, sizes.Sum());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(20)]
    public void The_count_matches_brute_force_on_clustered_random_hashes(int maxDistance)
    {
        var random = new Random(maxDistance + 1);
        var hashes = new List<ulong>();
        for (var cluster = 0; cluster < 150; cluster++)
        {
            var center = (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63);
            hashes.Add(center);
            for (var copy = random.Next(4); copy > 0; copy--)
            {
                var variant = center;
                for (var flips = random.Next(maxDistance + 3); flips > 0; flips--)
                {
                    variant ^= 1UL << random.Next(64);
                }

                hashes.Add(variant);
            }
        }

        var all = hashes.ToArray();
        var expected = BruteForce(all, maxDistance);

        Assert.Equal(expected, NearDuplicateGroups.Count(all, maxDistance));
        Assert.True(expected.Groups > 10, "the sample should hold groups to count");
    }
}
