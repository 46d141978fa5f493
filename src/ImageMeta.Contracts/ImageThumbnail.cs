using System.Globalization;

namespace ImageMeta.Contracts;

/// <summary>
/// The thumbnail of one image version: a WebP of at most <see cref="MaxEdge"/> pixels on the long side, written
/// through the <c>thumbnails</c> binding (never into <c>images</c>, so it cannot start a workflow), plus the
/// perceptual hash of the decoded pixels that the store's "similar images" search compares, and the larger
/// renditions made from the same decode (<see cref="Large"/> for 2× screens, <see cref="Preview"/> for a viewer).
/// The extractor's <c>POST /analyze</c> answers it, the workflow carries it and the store keeps it; this is its only definition.
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

    /// <summary>
    /// The thumbnail for 2× screens: long side <see cref="LargeEdge"/> (never enlarged), blob <see cref="LargeNameFor"/>.
    /// Null on records made before renditions existed, and when it could not be made.
    /// </summary>
    public ImageRendition? Large { get; init; }

    /// <summary>
    /// The display-size preview for a viewer: long side <see cref="PreviewEdge"/> (never enlarged), blob
    /// <see cref="PreviewNameFor"/>. Null on records made before renditions existed, and when it could not be made.
    /// </summary>
    public ImageRendition? Preview { get; init; }

    /// <summary>The long side's bound of <see cref="Large"/>, in pixels: twice the thumbnail's.</summary>
    public const int LargeEdge = 2 * MaxEdge;

    /// <summary>The long side's bound of <see cref="Preview"/>, in pixels.</summary>
    public const int PreviewEdge = 1600;

    /// <summary>The thumbnail blob name of an image version: its id and the WebP extension.</summary>
    public static string NameFor(ImageId id) => id.Value + ".webp";

    /// <summary>The blob name of an image version's <see cref="Large"/> rendition: <c>&lt;id&gt;@2x.webp</c>.</summary>
    public static string LargeNameFor(ImageId id) => id.Value + "@2x.webp";

    /// <summary>The blob name of an image version's <see cref="Preview"/> rendition: <c>&lt;id&gt;.preview.webp</c>.</summary>
    public static string PreviewNameFor(ImageId id) => id.Value + ".preview.webp";

    /// <summary>Every blob the extractor may write into the thumbnails container for an image version (what a delete removes).</summary>
    public static IReadOnlyList<string> BlobNamesFor(ImageId id) => [NameFor(id), LargeNameFor(id), PreviewNameFor(id)];
}

/// <summary>One larger rendition of an image version (a WebP through the <c>thumbnails</c> binding), beside its thumbnail.</summary>
/// <param name="Name">Blob name in the thumbnails container (<see cref="ImageThumbnail.LargeNameFor"/>, <see cref="ImageThumbnail.PreviewNameFor"/>).</param>
/// <param name="Width">Width as shown (orientation applied).</param>
/// <param name="Height">Height as shown (orientation applied).</param>
/// <param name="Bytes">Length of the WebP in bytes.</param>
public sealed record ImageRendition(string Name, int Width, int Height, long Bytes);

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
