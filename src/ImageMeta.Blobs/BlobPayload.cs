using System.Security.Cryptography;

namespace ImageMeta.Blobs;

/// <summary>Shared pieces of both adapters: how a version is derived from content and the size check.</summary>
internal static class BlobPayload
{
    public static string ContentHash(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public static void ThrowIfTooLarge(string name, long size, long limit)
    {
        if (size > limit)
        {
            throw new BlobTooLargeException(name, size, limit);
        }
    }
}
