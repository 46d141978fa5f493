using System.Buffers.Binary;
using ImageMeta.Contracts;
using SkiaSharp;

namespace ImageMeta.Extractor;

/// <summary>
/// Verifies an animated WebP one frame at a time: each ANMF chunk holds a complete bitstream (an optional ALPH chunk and
/// a VP8 or VP8L chunk), which is wrapped as a still WebP and decoded alone, scaled down. Skia's WebP codec cannot be
/// used frame by frame here: it looks frame i up by walking libwebp's frame list from the first frame, so decoding
/// every frame through it costs time quadratic in the frames (100,000 1×1 frames took 25–52 s). This costs one small
/// decode per frame, with the clock checked between frames.
/// </summary>
internal static class WebpFrames
{
    public static unsafe ProcessingFailure? Problem(ReadOnlyMemory<byte> content, SKImageInfo canvas, DecodeClock clock)
    {
        var span = content.Span;
        var end = Math.Min(span.Length, 8L + BinaryPrimitives.ReadUInt32LittleEndian(span[4..]));
        var scale = (double)canvas.Width / Math.Max(1, ReadUInt24(span[24..]) + 1);
        var buffer = new byte[canvas.BytesSize64 + (4L * (canvas.Width + canvas.Height + 1))];
        var still = new MemoryStream();
        long at = 12;
        var frame = 0;
        fixed (byte* pixels = buffer)
        {
            while (at + 8 <= end)
            {
                var type = span.Slice((int)at, 4);
                var size = BinaryPrimitives.ReadUInt32LittleEndian(span[((int)at + 4)..]);
                if (at + 8 + size > end)
                {
                    return new ProcessingFailure(FailureClass.Corrupt, $"chunk at byte {at} runs past the end");
                }

                if (type.SequenceEqual("ANMF"u8))
                {
                    if (size < 16 + 8)
                    {
                        return new ProcessingFailure(FailureClass.Corrupt, $"frame {frame} has no bitstream");
                    }

                    var payload = span.Slice((int)at + 8, (int)size);
                    var width = ReadUInt24(payload[6..]) + 1;
                    var height = ReadUInt24(payload[9..]) + 1;
                    if (Decode(payload[16..], width, height, scale, still, (IntPtr)pixels, buffer.Length) is { } problem)
                    {
                        return new ProcessingFailure(FailureClass.Corrupt, $"frame {frame}: {problem}");
                    }

                    frame++;
                    clock.Check();
                }

                at += 8L + size + (size & 1);
            }
        }

        return frame == 0 ? new ProcessingFailure(FailureClass.Corrupt, "the animation has no frame") : null;
    }

    private static string? Decode(ReadOnlySpan<byte> chunks, int width, int height, double scale, MemoryStream still, IntPtr pixels, long capacity)
    {
        // RIFF header, a VP8X naming the frame's size and whether it has an ALPH chunk, then the frame's chunks as they are.
        var alpha = chunks.Length >= 4 && chunks[..4].SequenceEqual("ALPH"u8);
        still.SetLength(0);
        Span<byte> word = stackalloc byte[4];
        still.Write("RIFF"u8);
        BinaryPrimitives.WriteUInt32LittleEndian(word, (uint)(4 + 18 + chunks.Length));
        still.Write(word);
        still.Write("WEBPVP8X"u8);
        BinaryPrimitives.WriteUInt32LittleEndian(word, 10);
        still.Write(word);
        Span<byte> vp8x = stackalloc byte[10];
        vp8x.Clear();
        vp8x[0] = (byte)(alpha ? 0x10 : 0);
        WriteUInt24(vp8x[4..], width - 1);
        WriteUInt24(vp8x[7..], height - 1);
        still.Write(vp8x);
        still.Write(chunks);

        using var data = SKData.CreateCopy(still.GetBuffer().AsSpan(0, (int)still.Length));
        using var codec = SKCodec.Create(data);
        if (codec is null)
        {
            return "its bitstream cannot be read";
        }

        var size = codec.GetScaledDimensions((float)Math.Min(1, scale));
        var info = new SKImageInfo(Math.Max(1, size.Width), Math.Max(1, size.Height), SKColorType.Rgba8888, SKAlphaType.Premul);
        if (info.BytesSize64 > capacity)
        {
            return "it is larger than the canvas";
        }

        var result = codec.GetPixels(info, pixels);
        return result == SKCodecResult.Success ? null : result.ToString();
    }

    private static int ReadUInt24(ReadOnlySpan<byte> bytes) => bytes[0] | (bytes[1] << 8) | (bytes[2] << 16);

    private static void WriteUInt24(Span<byte> bytes, int value)
    {
        bytes[0] = (byte)value;
        bytes[1] = (byte)(value >> 8);
        bytes[2] = (byte)(value >> 16);
    }
}
