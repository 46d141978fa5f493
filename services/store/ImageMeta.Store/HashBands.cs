namespace ImageMeta.Store;

/// <summary>
/// Multi-index hashing of the 64-bit perceptual hash: four 16-bit bands, each in an indexed column (<c>hash_band0</c> to
/// <c>hash_band3</c>, migration 0008). Two hashes within <c>d</c> bits differ in at most <c>⌊d / 4⌋</c> bits of some band
/// (pigeonhole: four bands of fewer would differ in fewer than <c>d</c> bits in all), so the hashes within <c>d</c> are
/// among those whose band <c>k</c>, for some <c>k</c>, is one of the band values within that radius of the searched hash's
/// band <c>k</c>. The store looks those values up in each band's index and checks the exact distance of what it finds.
/// </summary>
public static class HashBands
{
    /// <summary>Bands per hash, and bits per band.</summary>
    public const int Count = 4, Bits = 16;

    /// <summary>
    /// The largest radius per band searched through the indexes: 3 (distances up to 15) looks up at most 697 values per
    /// band, about 4 % of the rows as candidates; at radius 4 (16 bits and more) the 2,517 values per band select a
    /// seventh of the rows, and one scan of the hash index is cheaper.
    /// </summary>
    public const int MaxIndexedRadius = 3;

    /// <summary>The column names of the bands.</summary>
    public static readonly IReadOnlyList<string> Columns = ["hash_band0", "hash_band1", "hash_band2", "hash_band3"];

    /// <summary>Band <paramref name="index"/> of a hash: bits 16·index to 16·index + 15, as a number from 0 to 65,535.</summary>
    public static int Band(ulong hash, int index) => (int)((hash >> (index * Bits)) & 0xFFFF);

    /// <summary>The radius each band is searched with for a maximum distance; above <see cref="MaxIndexedRadius"/>, a scan.</summary>
    public static int Radius(int maxDistance) => maxDistance / Count;

    /// <summary>Every 16-bit value that differs from <paramref name="value"/> in at most <paramref name="radius"/> bits, the value itself first.</summary>
    public static List<int> Within(int value, int radius)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(radius);
        var values = new List<int> { value };
        void Flip(int from, int masked, int left)
        {
            for (var bit = from; bit < Bits; bit++)
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
            Flip(0, value, Math.Min(radius, Bits));
        }

        return values;
    }
}
