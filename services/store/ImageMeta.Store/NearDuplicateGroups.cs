using System.Numerics;

namespace ImageMeta.Store;

/// <summary>
/// Counts near-duplicate groups: the connected components, of two or more records, of the graph that joins two
/// records whose perceptual hashes differ in at most <c>maxDistance</c> bits (single linkage: A~B and B~C put A,
/// B and C in one group even when A and C are further apart). Exact, not sampled.
/// </summary>
/// <remarks>
/// <para>
/// The hashes are sorted in place and identical ones merged. The 64 bits are then cut into four 16-bit blocks, each
/// searched with a radius from <see cref="HashBands.Radii"/> (2, 2, 2 and 1 at the default distance of 10): two hashes
/// within the distance agree within its radius on some block (pigeonhole). So for each block the distinct hashes are
/// bucketed by that block's value (a counting sort into 65,536 buckets), and each hash looks only into the buckets of
/// the values within the block's radius of its own, checking the full distance of the hashes found there.
/// </para>
/// <para>
/// In memory, 16-bit blocks beat the store's three wide bands: a bucket probe here is an array read in a 256 KiB table,
/// and a candidate check a popcount, where in the database each looked-up value is an index descent. Memory is about
/// 20 bytes per hash (the hash, its count, its parent and its bucket slot); the store caps the hashes it counts
/// (<see cref="StoreOptions.NearDuplicateGroupsMaxImages"/>), because the work grows with the square of the hashes
/// over 65,536.
/// </para>
/// </remarks>
public static class NearDuplicateGroups
{
    private const int Blocks = 4, BlockBits = 16;

    /// <summary>Number of groups and number of records in them. Sorts <paramref name="hashes"/> in place.</summary>
    public static (long Groups, long Images) Count(Span<ulong> hashes, int maxDistance)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDistance);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxDistance, 63);

        // Identical hashes: one node, weighted by how many records carry it (the distinct ones moved to the front).
        hashes.Sort();
        var weights = new List<int>();
        var n = 0;
        for (var i = 0; i < hashes.Length; i++)
        {
            if (n > 0 && hashes[n - 1] == hashes[i])
            {
                weights[n - 1]++;
            }
            else
            {
                hashes[n++] = hashes[i];
                weights.Add(1);
            }
        }

        var distinct = hashes[..n];
        var parent = new int[n];
        for (var i = 0; i < n; i++)
        {
            parent[i] = i;
        }

        int Find(int i)
        {
            while (parent[i] != i)
            {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }

            return i;
        }

        var radii = HashBands.Radii(maxDistance, Blocks);
        var start = new int[(1 << BlockBits) + 1];
        var fill = new int[1 << BlockBits];
        var members = new int[n];
        for (var block = 0; block < Blocks; block++)
        {
            if (radii[block] < 0)
            {
                continue;
            }

            var flips = FlipsWithin(radii[block]);
            var shift = block * BlockBits;

            // Counting sort of the distinct hashes by this block's value: bucket v is members[start[v]..start[v+1]).
            Array.Clear(start);
            for (var i = 0; i < n; i++)
            {
                start[Key(distinct[i], shift) + 1]++;
            }

            for (var v = 0; v < 1 << BlockBits; v++)
            {
                start[v + 1] += start[v];
            }

            Array.Copy(start, fill, fill.Length);
            for (var i = 0; i < n; i++)
            {
                members[fill[Key(distinct[i], shift)]++] = i;
            }

            for (var i = 0; i < n; i++)
            {
                var key = Key(distinct[i], shift);
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

        // Group sizes, accumulated at each root (members is free again).
        Array.Clear(members);
        for (var i = 0; i < n; i++)
        {
            members[Find(i)] += weights[i];
        }

        long groups = 0, images = 0;
        for (var i = 0; i < n; i++)
        {
            if (members[i] >= 2)
            {
                groups++;
                images += members[i];
            }
        }

        return (groups, images);
    }

    private static int Key(ulong hash, int shift) => (int)((hash >> shift) & 0xFFFF);

    /// <summary>Every 16-bit value with at most <paramref name="radius"/> bits set: the XOR masks to a block value's neighbours.</summary>
    private static int[] FlipsWithin(int radius) =>
        Enumerable.Range(0, 1 << BlockBits).Where(v => BitOperations.PopCount((uint)v) <= radius).ToArray();
}
