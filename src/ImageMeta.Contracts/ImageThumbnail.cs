using System.Globalization;

namespace ImageMeta.Contracts;

/// <summary>
/// The preview of one image version: a WebP of at most <see cref="MaxEdge"/> pixels on the long side, written
/// through the <c>thumbnails</c> binding (never into <c>images</c>, so it cannot start a workflow), plus the
/// perceptual hash of the decoded pixels that the store's "similar images" search compares. The extractor's
/// <c>POST /thumbnail</c> answers it, the workflow carries it and the store keeps it; this is its only definition.
/// </summary>
public sealed record ImageThumbnail
{
    /// <summary>The long side's bound in pixels.</summary>
    public const int MaxEdge = 320;

    /// <summary>Blob name in the thumbnails container: <see cref="NameFor"/> of the image id, so a re-run overwrites it.</summary>
    public required string Name { get; init; }

    /// <summary>Width of the thumbnail as shown (EXIF orientation applied).</summary>
    public required int Width { get; init; }

    /// <summary>Height of the thumbnail as shown (EXIF orientation applied).</summary>
    public required int Height { get; init; }

    /// <summary>Length of the WebP in bytes.</summary>
    public required long Bytes { get; init; }

    /// <summary>The 64-bit perceptual hash as 16 lowercase hexadecimal digits (see <see cref="PerceptualHash"/>).</summary>
    public required string PerceptualHash { get; init; }

    /// <summary>The thumbnail blob name of an image version: its id and the WebP extension.</summary>
    public static string NameFor(ImageId id) => id.Value + ".webp";
}

/// <summary>
/// The text form of a 64-bit perceptual hash: exactly 16 lowercase hexadecimal digits, most significant first.
/// Text, not a JSON number, because JavaScript clients would round a 64-bit number.
/// </summary>
public static class PerceptualHash
{
    /// <summary>Number of hexadecimal digits.</summary>
    public const int Length = 16;

    /// <summary>
    /// The default "near duplicate" bound in differing bits, used by the store's similar-images search and its
    /// duplicate groups when the caller names none. Chosen from the measured distances of re-encoded, resized and
    /// brightened copies against those of different photos (the extractor tests report both distributions).
    /// </summary>
    public const int NearDuplicateDistance = 10;

    /// <summary>The text form of a hash.</summary>
    public static string Format(ulong hash) => hash.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>Accepts exactly 16 lowercase hexadecimal digits.</summary>
    public static bool TryParse(string? text, out ulong hash)
    {
        hash = 0;
        return text is { Length: Length }
            && text.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f')
            && ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out hash);
    }

    /// <summary>Number of differing bits between two hashes.</summary>
    public static int Distance(ulong a, ulong b) => System.Numerics.BitOperations.PopCount(a ^ b);
}
