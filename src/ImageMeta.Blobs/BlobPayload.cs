using System.Security.Cryptography;
using System.Text;

namespace ImageMeta.Blobs;

/// <summary>Shared pieces of both adapters: how bytes go into a create request and how a version is derived from content.</summary>
internal static class BlobPayload
{
    /// <summary>
    /// Both components base64-decode create data (local storage whenever it decodes, Azure with
    /// <c>decodeBase64: "true"</c>), so sending base64 always is the one encoding that cannot be misread:
    /// raw bytes that happen to be valid base64 text would otherwise be decoded into something else.
    /// </summary>
    public static ReadOnlyMemory<byte> ForCreate(ReadOnlyMemory<byte> content) => Encoding.ASCII.GetBytes(Convert.ToBase64String(content.Span));

    public static string ContentHash(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public static void ThrowIfTooLarge(string name, long size, long limit)
    {
        if (size > limit)
        {
            throw new BlobTooLargeException(name, size, limit);
        }
    }
}
