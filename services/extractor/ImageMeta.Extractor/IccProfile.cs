using System.Buffers.Binary;
using System.Text;

namespace ImageMeta.Extractor;

/// <summary>
/// The description of an ICC profile (its <c>desc</c> tag: ICC v2 <c>desc</c> text or v4 <c>mluc</c> UTF-16), the name
/// people know it by (<c>Display P3</c>, <c>sRGB IEC61966-2.1</c>). Read directly: the tag table is a few bytes, and a
/// damaged profile yields no name, never a failure.
/// </summary>
internal static class IccProfile
{
    public static string? Description(ReadOnlyMemory<byte>? profile)
    {
        if (profile is not { Length: >= 132 } bytes)
        {
            return null;
        }

        var span = bytes.Span;
        var count = BinaryPrimitives.ReadUInt32BigEndian(span[128..]);
        for (var i = 0L; i < count && 132 + ((i + 1) * 12) <= span.Length; i++)
        {
            var entry = (int)(132 + (i * 12));
            if (!span.Slice(entry, 4).SequenceEqual("desc"u8))
            {
                continue;
            }

            var offset = BinaryPrimitives.ReadUInt32BigEndian(span[(entry + 4)..]);
            var size = BinaryPrimitives.ReadUInt32BigEndian(span[(entry + 8)..]);
            if (offset + (long)size > span.Length || size < 12)
            {
                return null;
            }

            var tag = span.Slice((int)offset, (int)size);
            string? text = null;
            if (tag.StartsWith("desc"u8))
            {
                var length = BinaryPrimitives.ReadUInt32BigEndian(tag[8..]);
                if (length > 0 && 12 + length <= tag.Length)
                {
                    text = Encoding.Latin1.GetString(tag.Slice(12, (int)length));
                }
            }
            else if (tag.StartsWith("mluc"u8) && tag.Length >= 28)
            {
                // The first record (its language is the profile's own choice of default).
                var length = BinaryPrimitives.ReadUInt32BigEndian(tag[20..]);
                var at = BinaryPrimitives.ReadUInt32BigEndian(tag[24..]);
                if (at + (long)length <= tag.Length)
                {
                    text = Encoding.BigEndianUnicode.GetString(tag.Slice((int)at, (int)length));
                }
            }

            text = text?.TrimEnd('\0').Trim();
            return string.IsNullOrEmpty(text) ? null : text.Length > 256 ? text[..256] : text;
        }

        return null;
    }
}
