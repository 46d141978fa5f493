using System.Buffers;
using System.Runtime.InteropServices;

namespace ImageMeta.Extractor;

/// <summary>
/// Content bytes in native memory that grows by doubling and is freed the moment it is disposed. Large
/// bodies kept in managed arrays stay in the process until a full GC (or for good, in a shared pool);
/// freed native blocks this size go back to the operating system at once.
/// </summary>
internal sealed unsafe class NativeContentBuffer(int capacity) : MemoryManager<byte>
{
    private byte* _pointer = (byte*)NativeMemory.Alloc((nuint)Math.Max(capacity, 1));

    public int Capacity { get; private set; } = Math.Max(capacity, 1);

    /// <summary>Bytes written so far.</summary>
    public int Length { get; set; }

    /// <summary>Room after the written bytes.</summary>
    public Memory<byte> Free => Memory[Length..];

    /// <summary>Grows the capacity to <paramref name="capacity"/>, keeping the written bytes.</summary>
    public void Grow(int capacity)
    {
        ObjectDisposedException.ThrowIf(_pointer is null, this);
        if (capacity > Capacity)
        {
            _pointer = (byte*)NativeMemory.Realloc(_pointer, (nuint)capacity);
            Capacity = capacity;
        }
    }

    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_pointer is null, this);
        return new Span<byte>(_pointer, Capacity);
    }

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin()
    {
        // Native memory never moves.
    }

    protected override void Dispose(bool disposing)
    {
        if (_pointer is not null)
        {
            NativeMemory.Free(_pointer);
            _pointer = null;
        }
    }
}
