using System.Text;

namespace ImageMeta.Extractor;

/// <summary>
/// Netpbm (PBM, PGM, PPM: P1–P6) and PAM (P7) headers: a few ASCII tokens. MetadataExtractor has no Netpbm reader.
/// The binary forms declare their raster's length exactly, so a short one is truncated; the plain (ASCII) forms do not.
/// </summary>
internal static class NetpbmHeader
{
    private const string Name = "Netpbm";

    /// <summary>Headers are a few dozen bytes; comments may make them longer, never this long.</summary>
    private const int MaxHeaderBytes = 64 * 1024;

    public static FormatHeaderRead Read(HeaderBytes bytes)
    {
        var limit = Math.Min(bytes.Length, MaxHeaderBytes);
        if (bytes.Length < MaxHeaderBytes)
        {
            bytes.Has(0, MaxHeaderBytes); // a longer head, when there is more, so comments cannot hide the end of the header
        }

        var span = bytes.Span[..(int)limit];
        var kind = span[1] - '0';
        return kind == 7 ? Pam(bytes, span) : Pnm(bytes, span, kind);
    }

    private static FormatHeaderRead Pnm(HeaderBytes bytes, ReadOnlySpan<byte> span, int kind)
    {
        var at = 2;
        var fields = kind is 1 or 4 ? 2 : 3;
        Span<long> values = stackalloc long[3];
        for (var i = 0; i < fields; i++)
        {
            if (Token(span, ref at) is not { } token || !long.TryParse(token, out values[i]) || values[i] <= 0)
            {
                return Missing(bytes, span, at);
            }
        }

        var (width, height, maxValue) = (values[0], values[1], fields == 3 ? values[2] : 1);
        if (maxValue > 65535)
        {
            return FormatHeaderRead.Corrupt(Name, $"its maximum sample value {maxValue} is over 65535");
        }

        var sampleBytes = maxValue > 255 ? 2 : 1;
        var channels = kind is 3 or 6 ? 3 : 1;
        // One whitespace byte ends the header of the binary forms; the raster follows.
        var raster = kind switch
        {
            4 => (width + 7) / 8 * height,
            5 or 6 => width * height * channels * sampleBytes,
            _ => 0,
        };
        return new FormatHeader
        {
            Width = width,
            Height = height,
            ColorType = FormatHeader.ColorTypeOf(channels, sampleBytes * 8),
            DeclaredLength = raster == 0 ? 0 : at + 1 + raster,
        };
    }

    private static FormatHeaderRead Pam(HeaderBytes bytes, ReadOnlySpan<byte> span)
    {
        var at = 2;
        long width = 0, height = 0, depth = 0, maxValue = 0;
        string? tupleType = null;
        while (Token(span, ref at) is { } token)
        {
            if (token == "ENDHDR")
            {
                // ENDHDR ends its line; the raster starts after the newline.
                while (at < span.Length && span[at] != '\n')
                {
                    at++;
                }

                if (width <= 0 || height <= 0 || depth <= 0 || maxValue is <= 0 or > 65535)
                {
                    return FormatHeaderRead.Corrupt(Name, "its PAM header lacks WIDTH, HEIGHT, DEPTH or MAXVAL, or one is out of range");
                }

                var sampleBytes = maxValue > 255 ? 2 : 1;
                return new FormatHeader
                {
                    Width = width,
                    Height = height,
                    HasAlpha = tupleType?.EndsWith("_ALPHA", StringComparison.Ordinal) == true,
                    ColorType = FormatHeader.ColorTypeOf((int)Math.Min(depth, 4), sampleBytes * 8),
                    DeclaredLength = at + 1 + (width * height * depth * sampleBytes),
                };
            }

            var value = Token(span, ref at);
            if (token == "TUPLTYPE")
            {
                tupleType = value;
                continue;
            }

            if (value is null || !long.TryParse(value, out var number))
            {
                return Missing(bytes, span, at);
            }

            switch (token)
            {
                case "WIDTH": width = number; break;
                case "HEIGHT": height = number; break;
                case "DEPTH": depth = number; break;
                case "MAXVAL": maxValue = number; break;
            }
        }

        return Missing(bytes, span, at);
    }

    private static FormatHeaderRead Missing(HeaderBytes bytes, ReadOnlySpan<byte> span, int at) =>
        at >= span.Length && span.Length < MaxHeaderBytes ? bytes.Missing(Name, "header's end") : FormatHeaderRead.Corrupt(Name, "its header is not width, height and maximum value in ASCII");

    /// <summary>The next whitespace-separated token, skipping <c>#</c> comments to the end of their line; null at the end of the span.</summary>
    private static string? Token(ReadOnlySpan<byte> span, ref int at)
    {
        while (at < span.Length)
        {
            if (span[at] == '#')
            {
                while (at < span.Length && span[at] != '\n')
                {
                    at++;
                }
            }
            else if (span[at] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)'\v' or (byte)'\f')
            {
                at++;
            }
            else
            {
                break;
            }
        }

        var start = at;
        while (at < span.Length && span[at] is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'#'))
        {
            at++;
        }

        // A token that runs to the end of the span may be cut; a longer head decides it.
        return at == start || (at == span.Length && at - start < 32 && span.Length < MaxHeaderBytes) ? null : Encoding.ASCII.GetString(span[start..at]);
    }
}
