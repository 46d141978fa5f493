using System.Buffers;
using System.Security.Cryptography;

namespace ImageMeta.Extractor;

/// <summary>
/// One front-to-back pass over content through fixed-size buffers. The first bytes (the head, up to
/// <see cref="HeadLimit"/>) are kept for the codec's header; beyond them parsers see the content through a
/// window that slides forward. When hashing, every byte read goes through SHA-256 once and the last bytes
/// are kept for the end-marker check, and <see cref="Finish"/> reads to the end; without hashing, what the
/// parsers skip is seeked over (when the stream can seek) and never read. Memory is the head, the window and
/// the hash state, whatever the content's size. Not thread-safe.
/// </summary>
internal sealed class ContentPass : IDisposable
{
    /// <summary>Most bytes kept for a header: a JPEG's segments before its image data, a PNG's chunks before IDAT.</summary>
    public const int HeadLimit = 16 * 1024 * 1024;

    /// <summary>Bytes read in one call, and what a hashed pass's first read keeps for the header.</summary>
    public const int ChunkSize = 128 * 1024;

    /// <summary>
    /// A header-only pass's first read: most headers (PNG, GIF, WebP, BMP, HEIF's meta box, TIFF's first directory, a
    /// JPEG without a large EXIF thumbnail) end within it; the formats' extents say when to read further.
    /// </summary>
    public const int HeaderChunkSize = 16 * 1024;

    private const int TailLength = 64;

    private readonly Stream _stream;
    private readonly long _maxBytes;
    private readonly IncrementalHash? _sha256;
    private readonly NativeContentBuffer _head;
    private readonly byte[] _window = ArrayPool<byte>.Shared.Rent(ChunkSize);
    private readonly byte[] _tail = new byte[TailLength];
    private long _windowStart;
    private int _windowLength;
    private long _streamPosition;
    private readonly long _origin;
    private long _furthest;
    private long _tailEnd;
    private bool _ended;
    private bool _skipped;

    public ContentPass(Stream stream, bool hash, long maxBytes, TimeSpan decodeTime)
    {
        Clock = new DecodeClock(decodeTime);
        _stream = stream;
        _origin = stream.CanSeek ? stream.Position : 0;
        _maxBytes = maxBytes;
        _sha256 = hash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        _head = new NativeContentBuffer(hash ? ChunkSize : HeaderChunkSize);
        _readSize = hash ? ChunkSize : HeaderChunkSize;
    }

    /// <summary>Most bytes one read asks for: a header-only pass reads in smaller steps, since it skips what lies between.</summary>
    private readonly int _readSize;

    /// <summary>The time this inspection's CPU-bound steps have used (the walks over block headers check it).</summary>
    public DecodeClock Clock { get; }

    /// <summary>Bytes read from the stream so far (seeked-over bytes not counted).</summary>
    public long BytesRead { get; private set; }

    /// <summary>The bytes kept from the start of the content.</summary>
    public ReadOnlyMemory<byte> Head => _head.Memory[.._head.Length];

    /// <summary>True once the stream has ended.</summary>
    public bool Ended => _ended;

    /// <summary>Reads until the head holds <paramref name="length"/> bytes (capped at <see cref="HeadLimit"/>) or the content ends.</summary>
    public void FillHead(int length)
    {
        if (_windowLength > 0)
        {
            throw new InvalidOperationException("The head is filled before anything beyond it is read.");
        }

        length = Math.Min(length, HeadLimit);
        while (_head.Length < length && !_ended)
        {
            if (_head.Capacity < length)
            {
                _head.Grow((int)Math.Min(HeadLimit, Math.Max((long)_head.Capacity * 2, length)));
            }

            var read = ReadStream(_head.Free.Span);
            _windowStart = _streamPosition;
            _windowLength = 0;
            if (read > 0)
            {
                _head.Length += read;
            }
        }
    }

    /// <summary>Copies the bytes at <paramref name="position"/> into <paramref name="destination"/>; fewer where the content ends.</summary>
    public int ReadAt(long position, Span<byte> destination)
    {
        var copied = 0;
        while (copied < destination.Length)
        {
            var at = position + copied;
            if (at < _head.Length)
            {
                var n = (int)Math.Min(destination.Length - copied, _head.Length - at);
                _head.Memory.Span.Slice((int)at, n).CopyTo(destination[copied..]);
                copied += n;
                continue;
            }

            if (!MoveWindowTo(at))
            {
                break;
            }

            var offset = (int)(at - _windowStart);
            var count = Math.Min(destination.Length - copied, _windowLength - offset);
            _window.AsSpan(offset, count).CopyTo(destination[copied..]);
            copied += count;
        }

        return copied;
    }

    /// <summary>The byte at <paramref name="position"/>, or -1 past the end.</summary>
    public int ByteAt(long position)
    {
        Span<byte> one = stackalloc byte[1];
        return ReadAt(position, one) == 1 ? one[0] : -1;
    }

    /// <summary>
    /// Reads the rest of the content when hashing (the hash needs every byte) and returns its length, its
    /// SHA-256 (null without hashing) and its last bytes (empty without hashing, or when bytes were seeked over).
    /// </summary>
    public (long Length, string? Sha256, byte[] Tail) Finish()
    {
        if (_sha256 is not null)
        {
            while (!_ended)
            {
                ReadStream(_window);
            }

            var length = _streamPosition;
            var tail = new byte[Math.Min(TailLength, length)];
            for (var i = 0; i < tail.Length; i++)
            {
                tail[i] = _tail[(_tailEnd - tail.Length + i) % TailLength];
            }

            return (length, Convert.ToHexStringLower(_sha256.GetHashAndReset()), tail);
        }

        // A stream that has ended gives its exact length; the reported one can be wrong (0 for Linux's /proc files). After
        // a seek the position where a read ended may lie past the end (a seek beyond it), so the reported length decides,
        // or the furthest byte read when that is longer.
        if (_stream.CanSeek && (!_ended || _skipped))
        {
            return (Math.Max(_stream.Length - _origin, _furthest), null, []);
        }

        // A stream without a length: count the rest, reading it in the window (never keeping it).
        while (!_ended)
        {
            ReadStream(_window);
        }

        return (_streamPosition, null, []);
    }

    private bool MoveWindowTo(long position)
    {
        if (position >= _windowStart && position < _windowStart + _windowLength)
        {
            return true;
        }

        if (position < _windowStart && !CanSkip)
        {
            throw new InvalidOperationException("The content is read once, front to back: parsers cannot step back.");
        }

        if (CanSkip && (position > _streamPosition || position < _windowStart))
        {
            // Header facts only: what lies between is never read, and a reader that needs bytes it has passed (a HEIF's
            // EXIF item before its meta box) seeks back to them.
            _stream.Seek(position - _streamPosition, SeekOrigin.Current);
            _streamPosition = position;
            _windowStart = position;
            _windowLength = 0;
            _ended = false;
            _skipped = true;
        }

        while (!_ended)
        {
            var start = _streamPosition;
            var read = ReadStream(_window);
            _windowStart = start;
            _windowLength = read;
            if (position < start + read)
            {
                return true;
            }
        }

        return false;
    }

    private int ReadStream(Span<byte> into)
    {
        if (_ended)
        {
            return 0;
        }

        var read = _stream.Read(into[..Math.Min(into.Length, _readSize)]);
        if (read == 0)
        {
            _ended = true;
            return 0;
        }

        var bytes = into[..read];
        _streamPosition += read;
        _furthest = Math.Max(_furthest, _streamPosition);
        BytesRead += read;
        if (_streamPosition > _maxBytes)
        {
            throw new ContentTooLargeException(_streamPosition);
        }

        if (_sha256 is not null)
        {
            _sha256.AppendData(bytes);
            var keep = bytes[Math.Max(0, read - TailLength)..];
            foreach (var b in keep)
            {
                _tail[_tailEnd++ % TailLength] = b;
            }
        }

        return read;
    }

    /// <summary>
    /// True when this pass may seek instead of reading (header facts only, over a seekable stream): bytes between the
    /// ranges asked for are not read, and a range before the window is read again rather than refused.
    /// </summary>
    public bool CanSkip => _sha256 is null && _stream.CanSeek;

    /// <summary>
    /// Bytes a reader holds outside the head and the window on this pass's behalf (a HEIF's meta box read from beyond
    /// the head), counted with the head in the in-flight budget.
    /// </summary>
    public long HeldAside { get; set; }

    /// <summary>True when some bytes were seeked over rather than read.</summary>
    public bool Skipped => _skipped;

    public void Dispose()
    {
        _sha256?.Dispose();
        ((IDisposable)_head).Dispose();
        ArrayPool<byte>.Shared.Return(_window);
    }
}

/// <summary>The content turned out longer than the byte limit while it was being read.</summary>
internal sealed class ContentTooLargeException(long bytesSoFar) : Exception($"The content has more than {bytesSoFar - 1} bytes.")
{
    public long BytesSoFar { get; } = bytesSoFar;
}
