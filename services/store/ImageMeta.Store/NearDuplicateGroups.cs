using System.Numerics;

namespace ImageMeta.Store;

/// <summary>
/// Counts near-duplicate groups: the connected components, of two or more records, of the graph that joins two
/// records whose perceptual hashes differ in at most <c>maxDistance</c> bits (single linkage: A~B and B~C put A,
/// B and C in one group even when A and C are further apart). Exact, not sampled. Identical hashes are merged
/// first; the distinct hashes are then compared only within buckets of a pigeonhole split: the 64 bits are cut
/// into <c>maxDistance + 1</c> blocks, and two hashes within <c>maxDistance</c> bits agree exactly on at least
/// one block, so every close pair shares a bucket. Cost: one pass per block over the distinct hashes, plus the
/// pairs inside each bucket (for spread-out hashes about n² / 2^(64 / (maxDistance + 1)) per block).
/// </summary>
public static class NearDuplicateGroups
{
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

        var blocks = maxDistance + 1;
        var keys = new ulong[distinct.Length];
        var order = new int[distinct.Length];
        for (var block = 0; block < blocks; block++)
        {
            // Block b covers bits [64*b/blocks, 64*(b+1)/blocks).
            var low = 64 * block / blocks;
            var width = (64 * (block + 1) / blocks) - low;
            var mask = width == 64 ? ulong.MaxValue : ((1UL << width) - 1) << low;
            for (var i = 0; i < distinct.Length; i++)
            {
                keys[i] = distinct[i] & mask;
                order[i] = i;
            }

            Array.Sort(keys, order);
            for (var start = 0; start < keys.Length;)
            {
                var end = start + 1;
                while (end < keys.Length && keys[end] == keys[start])
                {
                    end++;
                }

                for (var i = start; i < end; i++)
                {
                    for (var j = i + 1; j < end; j++)
                    {
                        var (a, b) = (order[i], order[j]);
                        if (BitOperations.PopCount(distinct[a] ^ distinct[b]) <= maxDistance && Find(a) is var ra && Find(b) is var rb && ra != rb)
                        {
                            parent[ra] = rb;
                        }
                    }
                }

                start = end;
            }
        }

        var members = new Dictionary<int, long>();
        for (var i = 0; i < distinct.Length; i++)
        {
            var root = Find(i);
            members[root] = members.GetValueOrDefault(root) + weights[distinct[i]];
        }

        var groups = members.Values.Where(n => n >= 2).ToList();
        return (groups.Count, groups.Sum());
    }
}
