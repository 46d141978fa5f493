using System.Numerics;
using ImageMeta.Contracts;

namespace ImageMeta.Store.Tests;

/// <summary>The similar-images search through the hash band indexes gives exactly the linear scan's answers.</summary>
public abstract partial class MetadataStoreSuite
{
    [SkippableFact]
    public async Task Similar_and_duplicates_of_through_the_band_indexes_answer_as_the_linear_scan_for_distances_0_to_32()
    {
        var store = await Store();
        var random = new Random(29);
        ulong RandomHash() => unchecked((ulong)random.NextInt64()) ^ ((ulong)random.Next(2) << 63);
        // Clusters of hashes 0 to 24 bits from their centre (so every distance up to 32 has answers), plus unrelated ones.
        var hashes = new List<(string Name, ulong Hash)>();
        for (var cluster = 0; cluster < 6; cluster++)
        {
            var centre = RandomHash();
            for (var member = 0; member < 30; member++)
            {
                var hash = centre;
                for (var flip = random.Next(0, 25); flip > 0; flip--)
                {
                    hash ^= 1UL << random.Next(64);
                }

                hashes.Add(($"bands/{cluster}-{member:D2}.jpg", hash));
            }
        }

        for (var other = 0; other < 40; other++)
        {
            hashes.Add(($"bands/other-{other:D2}.jpg", RandomHash()));
        }

        var ids = new List<ImageId>();
        foreach (var (name, hash) in hashes)
        {
            var record = SampleRecords.Succeeded(name).WithThumbnail(hash);
            await store.UpsertAsync(record, default);
            ids.Add(record.Id);
        }

        foreach (var probe in new[] { 0, 31, 77, 119, 150, 179, 200 })
        {
            for (var distance = 0; distance <= 32; distance++)
            {
                // The linear scan, in memory: every other hash within the distance, nearest first, ties newest first.
                var scan = hashes.Select((h, i) => (h.Name, Index: i, Distance: BitOperations.PopCount(h.Hash ^ hashes[probe].Hash)))
                    .Where(h => h.Index != probe && h.Distance <= distance)
                    .OrderBy(h => h.Distance).ThenByDescending(h => h.Index)
                    .ToList();
                var near = new HashNeighbourhood(hashes[probe].Hash, distance, ids[probe]);

                var similar = await store.SimilarAsync(near, 100, default);
                var duplicates = await store.QueryAsync(new ImageQuery { Near = near, Limit = 500 }, default);

                Assert.Equal(scan.Take(100).Select(h => (h.Name, h.Distance)), similar.Select(s => (s.Image.Blob.Name, s.Distance)));
                Assert.Equal(scan.Select(h => h.Name).Order(StringComparer.Ordinal), duplicates.Items.Select(r => r.Blob.Name).Order(StringComparer.Ordinal));
            }
        }
    }

    // Rows written before any band (0007), and rows whose four 16-bit bands 0008 filled before 0010 cut three (0009).
    [SkippableTheory]
    [InlineData("0007")]
    [InlineData("0009")]
    public async Task Migrations_0008_and_0010_fill_the_bands_of_rows_hashed_before_them(string through)
    {
        var store = await OlderStore(through);
        const ulong Hash = 0x8000_0000_0000_00F0UL;
        var probe = SampleRecords.Succeeded($"legacy/{through}/band-probe.jpg").WithThumbnail(Hash);
        // Four bits apart, spread over the bands; and one bit apart in the top band only (the sign bit).
        var near = SampleRecords.Succeeded($"legacy/{through}/band-near.jpg").WithThumbnail(Hash ^ 0x0001_0001_0001_0001UL);
        var top = SampleRecords.Succeeded($"legacy/{through}/band-top.jpg").WithThumbnail(Hash ^ 0x8000_0000_0000_0000UL);
        var far = SampleRecords.Succeeded($"legacy/{through}/band-far.jpg").WithThumbnail(~Hash);
        foreach (var record in new[] { probe, near, top, far })
        {
            await InsertLegacyAsync(store, record);
        }

        if (through == "0009")
        {
            // Band values that do not fit the new cut (0008 wrote four 16-bit bands): 0010 must compute them again.
            await ExecuteAsync(store, "UPDATE images SET hash_band0 = 1, hash_band1 = 2, hash_band2 = 3, hash_band3 = 4 WHERE perceptual_hash IS NOT NULL");
        }

        await store.MigrateAsync(default);

        var found = await store.SimilarAsync(new HashNeighbourhood(Hash, 4, probe.Id), 10, default);
        Assert.Equal([(top.Id, 1), (near.Id, 4)], found.Select(s => (s.Image.Id, s.Distance)));
        // Distance 0 looks up one band only (the top one): the probe itself is found by its own hash.
        var same = await store.SimilarAsync(new HashNeighbourhood(Hash, 0, near.Id), 10, default);
        Assert.Equal([(probe.Id, 0)], same.Select(s => (s.Image.Id, s.Distance)));
    }

    [Fact]
    public void Band_neighbours_are_every_value_within_the_radius_once()
    {
        for (var radius = 0; radius <= 3; radius++)
        {
            var within = HashBands.Within(0x2BEEF, radius, 18);
            var expected = Enumerable.Range(0, 1 << 18).Where(v => BitOperations.PopCount((uint)(v ^ 0x2BEEF)) <= radius).Order();

            Assert.Equal(expected, within.Order());
            Assert.Equal(0x2BEEF, within[0]);
            Assert.Equal(HashBands.LookupCount(18, radius), within.Count);
        }

        // The bands cover the 64 bits once, each with its own bits.
        Assert.Equal(64, HashBands.Bits.Sum());
        Assert.Equal(0x00F0, HashBands.Band(0x8000_0000_0000_00F0UL, 0));
        Assert.Equal(0, HashBands.Band(0x8000_0000_0000_00F0UL, 1));
        Assert.Equal(1 << 20, HashBands.Band(0x8000_0000_0000_00F0UL, 2));
        Assert.Equal(0x1F_FFFF, HashBands.Band(ulong.MaxValue, 1));
    }

    [Fact]
    public void Band_radii_leave_no_hash_within_the_distance_unfound()
    {
        var random = new Random(10);
        for (var distance = 0; distance <= 32; distance++)
        {
            var radii = HashBands.Radii(distance);
            // The pigeonhole condition, with the fewest slots: one more than the distance.
            Assert.Equal(distance + 1, radii.Sum(r => r + 1));
            Assert.All(radii, r => Assert.InRange(r, -1, 64));

            // And directly: random hashes exactly `distance` bits away always agree within the radius on a searched band.
            for (var trial = 0; trial < 2000; trial++)
            {
                var a = unchecked((ulong)random.NextInt64()) ^ ((ulong)random.Next(2) << 63);
                var b = a;
                foreach (var bit in Enumerable.Range(0, 64).OrderBy(_ => random.Next()).Take(distance))
                {
                    b ^= 1UL << bit;
                }

                Assert.Contains(Enumerable.Range(0, HashBands.Count), k => radii[k] >= 0 && BitOperations.PopCount((uint)(HashBands.Band(a, k) ^ HashBands.Band(b, k))) <= radii[k]);
            }
        }

        // Distance 10 (the near-duplicate bound) stays on the indexes; the widest band gets the smallest radius.
        Assert.Equal([2, 3, 3], HashBands.Radii(10));
        Assert.Equal(3378, HashBands.Lookups(10));
        Assert.Null(HashBands.Lookups(32));
    }
}
