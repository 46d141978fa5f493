using System.Globalization;

namespace ImageMeta.Contracts;

/// <summary>
/// The ways a blob version is written down. Every producer of <see cref="BlobReference.Version"/> goes
/// through here, so that an Event Grid event, a list answer and an upload that name the same version
/// yield the same text and therefore the same <see cref="ImageId"/>.
/// </summary>
public static class BlobVersions
{
    /// <summary>An ETag without the quotes some APIs wrap it in (<c>"0x8D..."</c> and <c>0x8D...</c> are one version).</summary>
    public static string FromETag(string etag)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(etag);
        return "etag:" + etag.Trim().Trim('"');
    }

    /// <summary>For storage that has no ETag but whose content we read: the content's SHA-256 (hex).</summary>
    public static string FromContentHash(string sha256Hex)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sha256Hex);
        return "sha256:" + sha256Hex.ToLowerInvariant();
    }

    /// <summary>For storage that reports size and modification time but no ETag.</summary>
    public static string FromSizeAndTime(long size, DateTimeOffset lastModified) =>
        string.Create(CultureInfo.InvariantCulture, $"size:{size};mtime:{lastModified.ToUniversalTime().ToUnixTimeMilliseconds()}");
}
