namespace ImageMeta.Extractor;

/// <summary>
/// JPEG 2000: a JP2 file's boxes (the <c>ihdr</c> in <c>jp2h</c> gives size and components, <c>colr</c> an ICC profile,
/// <c>cdef</c> an alpha channel, <c>xml </c> and the XMP <c>uuid</c> box the XMP), or a raw J2K codestream's SIZ segment.
/// MetadataExtractor has no JPEG 2000 reader.
/// </summary>
internal static class Jpeg2000Header
{
    private const string Name = "JPEG 2000";

    private static readonly byte[] XmpUuid = [0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC];

    public static FormatHeaderRead Read(HeaderBytes bytes) =>
        bytes.Span.StartsWith((ReadOnlySpan<byte>)[0xFF, 0x4F, 0xFF, 0x51]) ? Codestream(bytes, 0, null) : Boxes(bytes);

    /// <summary>The SIZ segment right after SOC: image size minus its offset, and the components.</summary>
    private static FormatHeaderRead Codestream(HeaderBytes bytes, long at, FormatHeader? boxes)
    {
        if (!bytes.Has(at, 42))
        {
            return bytes.Missing(Name, "SIZ segment");
        }

        if (bytes.U16(at, false) != 0xFF4F || bytes.U16(at + 2, false) != 0xFF51)
        {
            return FormatHeaderRead.Corrupt(Name, "the codestream does not start with SOC and SIZ");
        }

        var width = (long)bytes.U32(at + 8, false) - bytes.U32(at + 16, false);
        var height = (long)bytes.U32(at + 12, false) - bytes.U32(at + 20, false);
        var components = bytes.U16(at + 40, false);
        if (width <= 0 || height <= 0 || components is 0 or > 16384)
        {
            return FormatHeaderRead.Corrupt(Name, $"its SIZ segment declares {width}×{height} with {components} components");
        }

        var bits = bytes.Has(at + 42, 1) ? (bytes.Span[(int)at + 42] & 0x7F) + 1 : 8;
        return boxes is not null
            ? boxes with { ColorType = FormatHeader.ColorTypeOf(boxes.ColorType == "gray8" ? 1 : 3, bits) }
            : new FormatHeader { Width = width, Height = height, HasAlpha = components is 2 or 4, ColorType = FormatHeader.ColorTypeOf(components, bits) };
    }

    private static FormatHeaderRead Boxes(HeaderBytes bytes)
    {
        FormatHeader? header = null;
        ReadOnlyMemory<byte>? xmp = null, icc = null;
        var alpha = false;
        long at = 0;
        while (bytes.Has(at, 8))
        {
            var (size, type, body) = Box(bytes, at, long.MaxValue);
            if (size < 0)
            {
                return FormatHeaderRead.Corrupt(Name, $"a box at {at} has an impossible length");
            }

            switch (type)
            {
                case "jp2h":
                    // The header superbox: ihdr first, then colr, cdef and others.
                    var end = at + size;
                    for (var inner = body; inner + 8 <= end && bytes.Has(inner, 8);)
                    {
                        var (innerSize, innerType, innerBody) = Box(bytes, inner, end);
                        if (innerSize < 0)
                        {
                            break;
                        }

                        if (innerType == "ihdr" && bytes.Has(innerBody, 11))
                        {
                            var components = bytes.U16(innerBody + 8, false);
                            header = new FormatHeader
                            {
                                Height = bytes.U32(innerBody, false),
                                Width = bytes.U32(innerBody + 4, false),
                                HasAlpha = components is 2 or 4,
                                ColorType = FormatHeader.ColorTypeOf(components, (bytes.Span[(int)innerBody + 10] & 0x7F) + 1),
                            };
                        }
                        else if (innerType == "colr" && bytes.TryGet(innerBody, 3, out var method) && method.Span[0] is 2 or 3
                            && bytes.TryGet(innerBody + 3, inner + innerSize - innerBody - 3, out var profile))
                        {
                            icc = profile;
                        }
                        else if (innerType == "cdef" && bytes.TryGet(innerBody, Math.Max(0, inner + innerSize - innerBody), out var definitions))
                        {
                            // Each definition: channel, type (1 and 2 are opacity), association.
                            var d = definitions.Span;
                            for (var i = 2; i + 6 <= d.Length; i += 6)
                            {
                                alpha |= ((d[i + 2] << 8) | d[i + 3]) is 1 or 2;
                            }
                        }

                        inner += innerSize;
                    }

                    break;
                case "xml ":
                    if (bytes.TryGet(body, at + size - body, out var xml))
                    {
                        xmp = xml;
                    }

                    break;
                case "uuid":
                    if (bytes.TryGet(body, 16, out var uuid) && uuid.Span.SequenceEqual(XmpUuid) && bytes.TryGet(body + 16, at + size - body - 16, out var packet))
                    {
                        xmp = packet;
                    }

                    break;
                case "jp2c":
                    if (header is null)
                    {
                        return FormatHeaderRead.Corrupt(Name, "the codestream comes before any image header box");
                    }

                    // The codestream's own SIZ agrees with ihdr in a valid file; its bit depth and the box's end are checked here.
                    var read = Codestream(bytes, body, header with { HasAlpha = header.HasAlpha || alpha, Xmp = xmp, Icc = icc });
                    return read.Header is { } found ? found with { DeclaredLength = size == long.MaxValue ? 0 : at + size } : read;
            }

            if (size == long.MaxValue)
            {
                break; // a box that runs to the end of the file
            }

            at += size;
        }

        return header is null ? bytes.Missing(Name, "image header box") : bytes.Missing(Name, "codestream");
    }

    /// <summary>A box at <paramref name="at"/>: its whole size (long.MaxValue for "to the end"), its type, where its body starts; size -1 when impossible.</summary>
    private static (long Size, string Type, long Body) Box(HeaderBytes bytes, long at, long limit)
    {
        long size = bytes.U32(at, false);
        var type = System.Text.Encoding.ASCII.GetString(bytes.Span.Slice((int)at + 4, 4));
        var body = at + 8;
        if (size == 1)
        {
            if (!bytes.Has(at + 8, 8))
            {
                return (-1, type, body);
            }

            var large = bytes.U64(at + 8, false);
            size = large > long.MaxValue / 2 ? -1 : (long)large;
            body += 8;
        }
        else if (size == 0)
        {
            size = long.MaxValue;
        }

        return size < body - at || (size != long.MaxValue && at > limit - size) ? (-1, type, body) : (size, type, body);
    }
}
