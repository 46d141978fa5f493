namespace ImageMeta.Store;

/// <summary>
/// Multi-index hashing of the 64-bit perceptual hash: three bands of 22, 21 and 21 bits, each in an indexed column
/// (<c>hash_band0</c> to <c>hash_band2</c>, migration 0010). If two hashes differ in at most <c>d</c> bits and band
/// <c>k</c> is searched with radius <c>t_k</c> (or not at all, <c>t_k = -1</c>), then whenever
/// <c>Σ (t_k + 1) ≥ d + 1</c> some searched band differs in at most its <c>t_k</c> bits (otherwise the bands would
/// differ in at least <c>d + 1</c> bits together). The store looks those band values up in each band's index and
/// checks the exact distance of what it finds.
/// </summary>
/// <remarks>
/// Why three wide bands and not four of 16 bits (migration 0008): the cost of a search is the values looked up plus the
/// candidates they bring back, and a 16-bit band value is shared by one row in 65,536, so at ten million rows the four
/// bands brought back about 65,000 candidates for distance 10. Three bands at radii 2, 3 and 3 look up 3,378 values and
/// bring back about 15,000 at ten million rows, 1,500 at a million (multi-index hashing is cheapest with bands of about
/// log2(rows) bits: 23 at ten million).
/// </remarks>
public static class HashBands
{
    /// <summary>Bands per hash.</summary>
    public const int Count = 3;

    /// <summary>
    /// Most band values one search may look up; a search that would need more (distances of about 16 and more) reads every
    /// hashed row instead, which is then about as cheap.
    /// </summary>
    public const int MaxLookups = 50_000;

    /// <summary>Bits per band, and where each starts: band 0 is bits 0–21, band 1 bits 22–42, band 2 bits 43–63.</summary>
    public static readonly IReadOnlyList<int> Bits = [22, 21, 21];

    private static readonly int[] Shifts = [0, Bits[0], Bits[0] + Bits[1]];

    /// <summary>The column names of the bands.</summary>
    public static readonly IReadOnlyList<string> Columns = ["hash_band0", "hash_band1", "hash_band2"];

    /// <summary>Band <paramref name="index"/> of a hash, as a number from 0 to 2^bits − 1.</summary>
    public static int Band(ulong hash, int index) => (int)((hash >> Shifts[index]) & ((1UL << Bits[index]) - 1));

    /// <summary>
    /// The radius each of <paramref name="bands"/> bands is searched with for a maximum distance (−1: that band is not
    /// searched), so that <c>Σ (radius + 1) = maxDistance + 1</c>. The d + 1 "slots" are shared out as evenly as
    /// possible, the remainder to the last bands: here the narrower ones (a 22-bit value at radius 2 is 254 lookups, a
    /// 21-bit one at radius 3 is 1,562).
    /// </summary>
    public static int[] Radii(int maxDistance, int bands = Count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDistance);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bands);
        var slots = maxDistance + 1;
        var radii = new int[bands];
        for (var band = 0; band < bands; band++)
        {
            radii[band] = (slots / bands) + (band >= bands - (slots % bands) ? 1 : 0) - 1;
        }

        return radii;
    }

    /// <summary>How many values within <paramref name="radius"/> bits a band of <paramref name="bits"/> bits has.</summary>
    public static long LookupCount(int bits, int radius)
    {
        long total = 0, choose = 1;
        for (var k = 0; k <= Math.Min(radius, bits); k++)
        {
            total += choose;
            choose = choose * (bits - k) / (k + 1);
        }

        return total;
    }

    /// <summary>The band values a search for <paramref name="maxDistance"/> looks up in all, or null when that exceeds <see cref="MaxLookups"/>.</summary>
    public static long? Lookups(int maxDistance)
    {
        var radii = Radii(maxDistance);
        var total = Enumerable.Range(0, Count).Sum(band => LookupCount(Bits[band], radii[band]));
        return total <= MaxLookups ? total : null;
    }

    /// <summary>Every value of a band of <paramref name="bits"/> bits that differs from <paramref name="value"/> in at most <paramref name="radius"/> bits, the value itself first.</summary>
    public static List<int> Within(int value, int radius, int bits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(radius);
        var values = new List<int>((int)LookupCount(bits, radius)) { value };
        void Flip(int from, int masked, int left)
        {
            for (var bit = from; bit < bits; bit++)
            {
                var next = masked ^ (1 << bit);
                values.Add(next);
                if (left > 1)
                {
                    Flip(bit + 1, next, left - 1);
                }
            }
        }

        if (radius > 0)
        {
            Flip(0, value, Math.Min(radius, bits));
        }

        return values;
    }
}
