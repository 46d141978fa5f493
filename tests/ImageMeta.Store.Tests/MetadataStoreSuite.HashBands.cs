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

    [SkippableFact]
    public async Task Migration_0008_fills_the_bands_of_rows_hashed_before_it()
    {
        var store = await OlderStore("0007");
        var probe = SampleRecords.Succeeded("legacy/band-probe.jpg").WithThumbnail(0x8000_0000_0000_00F0UL);
        var near = SampleRecords.Succeeded("legacy/band-near.jpg").WithThumbnail(0x8000_0000_0000_00F0UL ^ 0x0001_0001_0001_0001UL);
        var far = SampleRecords.Succeeded("legacy/band-far.jpg").WithThumbnail(~0x8000_0000_0000_00F0UL);
        foreach (var record in new[] { probe, near, far })
        {
            await InsertLegacyAsync(store, record);
        }

        await store.MigrateAsync(default);

        // Four bits apart, one in each band: found through the bands at radius 1 (distance 4 to 7).
        var found = await store.SimilarAsync(new HashNeighbourhood(0x8000_0000_0000_00F0UL, 4, probe.Id), 10, default);
        Assert.Equal([(near.Id, 4)], found.Select(s => (s.Image.Id, s.Distance)));
    }

    [Fact]
    public void Band_neighbours_are_every_value_within_the_radius_once()
    {
        for (var radius = 0; radius <= HashBands.MaxIndexedRadius; radius++)
        {
            var within = HashBands.Within(0xBEEF, radius);
            var expected = Enumerable.Range(0, 1 << HashBands.Bits).Where(v => BitOperations.PopCount((uint)(v ^ 0xBEEF)) <= radius).Order();

            Assert.Equal(expected, within.Order());
            Assert.Equal(0xBEEF, within[0]);
        }

        Assert.Equal(0x00F0, HashBands.Band(0x8000_0000_0000_00F0UL, 0));
        Assert.Equal(0x8000, HashBands.Band(0x8000_0000_0000_00F0UL, 3));
    }
}
