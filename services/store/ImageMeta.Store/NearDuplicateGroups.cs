using System.Numerics;

namespace ImageMeta.Store;

/// <summary>
/// Counts near-duplicate groups: the connected components, of two or more records, of the graph that joins two
/// records whose perceptual hashes differ in at most <c>maxDistance</c> bits (single linkage: A~B and B~C put A,
/// B and C in one group even when A and C are further apart). Exact, not sampled.
/// </summary>
/// <remarks>
/// Identical hashes are merged first. The 64 bits are then cut into four 16-bit blocks: two hashes within
/// <c>maxDistance</c> bits differ in at most <c>maxDistance / 4</c> bits in at least one block (pigeonhole). So
/// for each block the distinct hashes are bucketed by that block's value (a counting sort into 65,536 buckets),
/// and each hash looks only into the buckets of the values within <c>maxDistance / 4</c> bits of its own (137
/// values at the default distance of 10), checking the full distance of the few hashes found there. For n
/// spread-out hashes that is about 4 × 137 bucket probes and 4 × 137 × n / 65,536 candidate checks per hash.
/// </remarks>
public static class NearDuplicateGroups
{
    private const int Blocks = 4, BlockBits = 16;

    /// <summary>Number of groups and number of records in them.</summary>
    public static (long Groups, long Images) Count(IEnumerable<ulong> hashes, int maxDistance)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDistance);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxDistance, 63);

        // Identical hashes: one node, weighted by how many records carry it.
        var weights = new Dictionary<ulong, long>();
        foreach (var hash in hashes)
        {
            weights[hash] = weights.GetValueOrDefault(hash) + 1;
        }

        var distinct = weights.Keys.ToArray();
        var parent = Enumerable.Range(0, distinct.Length).ToArray();
        int Find(int i)
        {
            while (parent[i] != i)
            {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }

            return i;
        }

        var flips = FlipsWithin(maxDistance / Blocks);
        var start = new int[(1 << BlockBits) + 1];
        var members = new int[distinct.Length];
        for (var block = 0; block < Blocks; block++)
        {
            var shift = block * BlockBits;
            int Key(int i) => (int)((distinct[i] >> shift) & 0xFFFF);

            // Counting sort of the distinct hashes by this block's value: bucket v is members[start[v]..start[v+1]).
            Array.Clear(start);
            for (var i = 0; i < distinct.Length; i++)
            {
                start[Key(i) + 1]++;
            }

            for (var v = 0; v < 1 << BlockBits; v++)
            {
                start[v + 1] += start[v];
            }

            var fill = (int[])start.Clone();
            for (var i = 0; i < distinct.Length; i++)
            {
                members[fill[Key(i)]++] = i;
            }

            for (var i = 0; i < distinct.Length; i++)
            {
                var key = Key(i);
                foreach (var flip in flips)
                {
                    var value = key ^ flip;
                    for (var at = start[value]; at < start[value + 1]; at++)
                    {
                        // Each pair once (from its lower index); already joined pairs are skipped cheaply.
                        var other = members[at];
                        if (other > i && BitOperations.PopCount(distinct[i] ^ distinct[other]) <= maxDistance && Find(i) is var a && Find(other) is var b && a != b)
                        {
                            parent[a] = b;
                        }
                    }
                }
            }
        }

        var sizes = new Dictionary<int, long>();
        for (var i = 0; i < distinct.Length; i++)
        {
            var root = Find(i);
            sizes[root] = sizes.GetValueOrDefault(root) + weights[distinct[i]];
        }

        var groups = sizes.Values.Where(n => n >= 2).ToList();
        return (groups.Count, groups.Sum());
    }

    /// <summary>Every 16-bit value with at most <paramref name="radius"/> bits set: the XOR masks to a block value's neighbours.</summary>
    private static int[] FlipsWithin(int radius) =>
        Enumerable.Range(0, 1 << BlockBits).Where(v => BitOperations.PopCount((uint)v) <= radius).ToArray();
}
