namespace ImageMeta.Extractor;

/// <summary>
/// Photoshop documents (PSD, and PSB with version 2): the file header gives the composite's size, channels, depth and
/// color mode; the image resources that follow hold the EXIF (0x0422), XMP (0x0424) and ICC profile (0x040F). Read
/// here rather than through MetadataExtractor so one walk over the resources, bounded by the head, serves all three.
/// </summary>
internal static class PhotoshopHeader
{
    private const string Name = "PSD";

    public static FormatHeaderRead Read(HeaderBytes bytes)
    {
        if (!bytes.Has(0, 30))
        {
            return bytes.Missing(Name, "file header");
        }

        var version = bytes.U16(4, little: false);
        var channels = bytes.U16(12, little: false);
        var height = bytes.U32(14, little: false);
        var width = bytes.U32(18, little: false);
        var depth = bytes.U16(22, little: false);
        var mode = bytes.U16(24, little: false);
        if (version is not (1 or 2) || channels is 0 or > 56 || width == 0 || height == 0 || depth is not (1 or 8 or 16 or 32))
        {
            return FormatHeaderRead.Corrupt(Name, $"version {version}, {channels} channels, {width}×{height} at depth {depth} is not a valid document");
        }

        long at = 26 + 4 + bytes.U32(26, little: false); // past the color mode data
        ReadOnlyMemory<byte>? exif = null, xmp = null, icc = null;
        if (bytes.Has(at, 4))
        {
            var end = at + 4 + bytes.U32(at, little: false);
            at += 4;
            while (at + 12 <= end && bytes.TryGet(at, 8, out var start) && start.Span.StartsWith("8BIM"u8))
            {
                var id = bytes.U16(at + 4, little: false);
                var nameLength = bytes.Span[(int)at + 6];
                var sizeAt = at + 6 + ((nameLength + 2) & ~1);
                if (!bytes.Has(sizeAt, 4))
                {
                    break;
                }

                long size = bytes.U32(sizeAt, little: false);
                if (id is 0x0422 or 0x0424 or 0x040F && bytes.TryGet(sizeAt + 4, size, out var data))
                {
                    switch (id)
                    {
                        case 0x0422: exif = data; break;
                        case 0x0424: xmp = data; break;
                        default: icc = data; break;
                    }
                }

                at = sizeAt + 4 + ((size + 1) & ~1L);
            }
        }

        // Color channels by mode (bitmap, gray, indexed, RGB, CMYK, multichannel, duotone, Lab); more are alpha or spot channels.
        var colorChannels = mode switch { 0 or 1 or 2 or 8 => 1, 3 or 9 => 3, 4 => 4, _ => channels };
        return new FormatHeader
        {
            Width = width,
            Height = height,
            HasAlpha = channels > colorChannels,
            ColorType = FormatHeader.ColorTypeOf(colorChannels, depth),
            Exif = exif,
            Xmp = xmp,
            Icc = icc,
        };
    }
}
