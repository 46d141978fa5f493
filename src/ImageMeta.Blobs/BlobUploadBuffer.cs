using System.Buffers;
using System.Buffers.Text;

namespace ImageMeta.Blobs;

/// <summary>
/// One blob's bytes on their way to a <c>create</c>, in a single array large enough for their base64 form: the
/// bytes are read into the front, then encoded where they lie (<see cref="Base64.EncodeToUtf8InPlace"/>), and
/// the same array becomes the gRPC request's data without another copy. An upload of <c>n</c> bytes therefore
/// holds 4n/3 bytes here, where a stream, its array, a base64 string and that string's bytes held about 5n.
/// Small buffers come from the shared pool; large ones are allocated at their exact size, because the pool
/// rounds up to the next power of two (up to twice the memory) and keeps its arrays after use.
/// </summary>
public sealed class BlobUploadBuffer : IDisposable
{
    /// <summary>Buffers up to this many bytes are rented from <see cref="ArrayPool{T}.Shared"/>.</summary>
    internal const int PooledCapacityLimit = 1024 * 1024;

    /// <summary>First capacity when the length is not declared; it doubles from there up to the limit.</summary>
    internal const int UnknownLengthStart = 1024 * 1024;

    private byte[] _array;
    private bool _pooled;
    private int _length;
    private bool _encoded;

    private BlobUploadBuffer(long contentCapacity)
    {
        (_array, _pooled) = Allocate(contentCapacity);
    }

    /// <summary>
    /// A buffer for a body whose length is at most <paramref name="declaredLength"/> (a raw body's
    /// <c>Content-Length</c>, or a multipart request's, which bounds its file section), or, when the length is not
    /// declared, one that starts small and grows up to <paramref name="limit"/>.
    /// </summary>
    public static BlobUploadBuffer For(long? declaredLength, long limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxContentLength);
        return new BlobUploadBuffer(declaredLength is { } declared ? Math.Clamp(declared, 0, limit) : Math.Min(limit, UnknownLengthStart));
    }

    /// <summary>A buffer holding a copy of <paramref name="content"/> (for callers that already have the bytes, such as thumbnails).</summary>
    public static BlobUploadBuffer CopyOf(ReadOnlySpan<byte> content)
    {
        var buffer = new BlobUploadBuffer(content.Length);
        content.CopyTo(buffer._array);
        buffer._length = content.Length;
        return buffer;
    }

    /// <summary>The largest content a buffer can hold: its base64 form must fit in one array.</summary>
    public static long MaxContentLength => (long)Array.MaxLength / 4 * 3;

    /// <summary>How many content bytes have been read in.</summary>
    public int Length => _length;

    /// <summary>The content bytes read so far (gone once the buffer has been encoded for a create).</summary>
    public ReadOnlyMemory<byte> Content
    {
        get
        {
            ObjectDisposedException.ThrowIf(_encoded, this);
            return _array.AsMemory(0, _length);
        }
    }

    /// <summary>
    /// Reads <paramref name="source"/> to its end into the buffer, growing it (doubling, never past
    /// <paramref name="limit"/>) when the declared length was unknown. Returns false as soon as the source has more
    /// than <paramref name="limit"/> bytes; what was read stays, and nothing more is buffered.
    /// </summary>
    public async Task<bool> ReadFromAsync(Stream source, long limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ObjectDisposedException.ThrowIf(_encoded, this);
        while (true)
        {
            var room = ContentCapacity(_array.Length) - _length;
            if (room == 0)
            {
                // Full: either the body is longer than declared (one probe byte tells) or the buffer grows.
                if (_length >= limit)
                {
                    return await source.ReadAsync(new byte[1], cancellationToken) == 0;
                }

                Grow(Math.Min(limit, Math.Max((long)_length * 2, UnknownLengthStart)));
                continue;
            }

            var read = await source.ReadAsync(_array.AsMemory(_length, room), cancellationToken);
            if (read == 0)
            {
                return true;
            }

            _length += read;
        }
    }

    /// <summary>
    /// Base64-encodes the content in place and answers the encoded bytes (ASCII, no line breaks), as both binding
    /// components decode <c>create</c> data. After this the raw content is gone.
    /// </summary>
    internal ReadOnlyMemory<byte> EncodeInPlace()
    {
        ObjectDisposedException.ThrowIf(_encoded, this);
        var status = Base64.EncodeToUtf8InPlace(_array, _length, out var written);
        if (status != OperationStatus.Done)
        {
            throw new InvalidOperationException($"Base64 encoding in place failed ({status}); the buffer was sized wrongly.");
        }

        _encoded = true;
        return _array.AsMemory(0, written);
    }

    public void Dispose()
    {
        _encoded = true;
        if (_pooled)
        {
            _pooled = false;
            ArrayPool<byte>.Shared.Return(_array);
        }

        _array = [];
        _length = 0;
    }

    private void Grow(long contentCapacity)
    {
        var (next, pooled) = Allocate(contentCapacity);
        _array.AsSpan(0, _length).CopyTo(next);
        if (_pooled)
        {
            ArrayPool<byte>.Shared.Return(_array);
        }

        (_array, _pooled) = (next, pooled);
    }

    private static (byte[] Array, bool Pooled) Allocate(long contentCapacity)
    {
        var size = Base64.GetMaxEncodedToUtf8Length(checked((int)Math.Max(contentCapacity, 1)));
        return size <= PooledCapacityLimit
            ? (ArrayPool<byte>.Shared.Rent(size), true)
            : (GC.AllocateUninitializedArray<byte>(size), false);
    }

    /// <summary>How many content bytes an array of this size can hold and still take their base64 form.</summary>
    private static int ContentCapacity(int arrayLength) => arrayLength / 4 * 3;
}
