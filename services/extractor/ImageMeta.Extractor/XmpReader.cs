using System.Globalization;
using System.Text;
using System.Xml;
using ImageMeta.Contracts;

namespace ImageMeta.Extractor;

/// <summary>
/// The facts EXIF may lack, read from an XMP packet wherever the container keeps it: GPS (<c>exif:GPSLatitude</c>,
/// <c>exif:GPSLongitude</c>, <c>exif:GPSAltitude</c>), the date (<c>exif:DateTimeOriginal</c>, then
/// <c>photoshop:DateCreated</c>, then <c>xmp:CreateDate</c>, with the zone they carry), orientation
/// (<c>tiff:Orientation</c>), camera, lens, <c>dc:creator</c>, <c>dc:rights</c> and <c>xmp:CreatorTool</c>. A
/// forward-only XML read with DTDs refused and a size cap: XMP is an annotation, a broken packet yields nothing.
/// </summary>
public static class XmpReader
{
    private const int MaxPacketBytes = 4 * 1024 * 1024;

    private const string ExifNs = "http://ns.adobe.com/exif/1.0/";
    private const string ExifExNs = "http://cipa.jp/exif/1.0/";
    private const string AuxNs = "http://ns.adobe.com/exif/1.0/aux/";
    private const string TiffNs = "http://ns.adobe.com/tiff/1.0/";
    private const string XmpNs = "http://ns.adobe.com/xap/1.0/";
    private const string PhotoshopNs = "http://ns.adobe.com/photoshop/1.0/";
    private const string DcNs = "http://purl.org/dc/elements/1.1/";
    private const string RdfNs = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

    /// <summary>What an XMP packet says; absent properties are null.</summary>
    public sealed record XmpFacts(string? TakenAt, GpsPosition? Gps, int? Orientation, string? CameraMake, string? CameraModel, string? LensModel,
        string? Artist, string? Copyright, string? Software);

    private static readonly HashSet<(string Ns, string Name)> Wanted =
    [
        (ExifNs, "GPSLatitude"), (ExifNs, "GPSLongitude"), (ExifNs, "GPSAltitude"), (ExifNs, "GPSAltitudeRef"), (ExifNs, "DateTimeOriginal"),
        (PhotoshopNs, "DateCreated"), (XmpNs, "CreateDate"), (TiffNs, "Orientation"), (TiffNs, "Make"), (TiffNs, "Model"),
        (ExifExNs, "LensModel"), (AuxNs, "Lens"), (DcNs, "creator"), (DcNs, "rights"), (XmpNs, "CreatorTool"),
    ];

    /// <summary>The facts of a packet; null when it has none of them or cannot be read.</summary>
    public static XmpFacts? Read(ReadOnlyMemory<byte>? packet)
    {
        if (packet is not { Length: > 0 and <= MaxPacketBytes } bytes)
        {
            return null;
        }

        var values = new Dictionary<(string, string), string>();
        try
        {
            var span = bytes.Span;
            // Writers pad packets with NULs and whitespace, and some put bytes before the first element.
            var start = span.IndexOf((byte)'<');
            var end = span.LastIndexOf((byte)'>');
            if (start < 0 || end <= start)
            {
                return null;
            }

            using var text = new StringReader(Encoding.UTF8.GetString(span[start..(end + 1)]));
            using var xml = XmlReader.Create(text, new XmlReaderSettings
            {
                DtdProcessing = DtdProcessing.Prohibit,
                XmlResolver = null,
                MaxCharactersInDocument = MaxPacketBytes * 2L,
                IgnoreComments = true,
                IgnoreProcessingInstructions = true,
                ConformanceLevel = ConformanceLevel.Fragment,
            });
            while (xml.Read())
            {
                if (xml.NodeType != XmlNodeType.Element)
                {
                    continue;
                }

                // Properties written as attributes of rdf:Description.
                if (xml.HasAttributes)
                {
                    for (var i = 0; i < xml.AttributeCount; i++)
                    {
                        xml.MoveToAttribute(i);
                        if (Wanted.Contains((xml.NamespaceURI, xml.LocalName)))
                        {
                            values.TryAdd((xml.NamespaceURI, xml.LocalName), xml.Value);
                        }
                    }

                    xml.MoveToElement();
                }

                // Properties written as elements: simple text, or the first rdf:li of a Seq, Bag or Alt.
                if (Wanted.Contains((xml.NamespaceURI, xml.LocalName)) && !xml.IsEmptyElement)
                {
                    var key = (xml.NamespaceURI, xml.LocalName);
                    var depth = xml.Depth;
                    while (xml.Read() && xml.Depth > depth)
                    {
                        if (xml.NodeType is XmlNodeType.Text or XmlNodeType.CDATA && !string.IsNullOrWhiteSpace(xml.Value))
                        {
                            values.TryAdd(key, xml.Value);
                            break;
                        }
                    }
                }
            }
        }
        catch (XmlException)
        {
            // What was read before the damage stands.
        }

        string? Value(string ns, string name)
        {
            var value = values.TryGetValue((ns, name), out var v) ? v.Trim() : null;
            return string.IsNullOrEmpty(value) ? null : value.Length > 256 ? value[..256] : value;
        }

        var facts = new XmpFacts(
            Date(Value(ExifNs, "DateTimeOriginal")) ?? Date(Value(PhotoshopNs, "DateCreated")) ?? Date(Value(XmpNs, "CreateDate")),
            Position(Value(ExifNs, "GPSLatitude"), Value(ExifNs, "GPSLongitude"), Value(ExifNs, "GPSAltitude"), Value(ExifNs, "GPSAltitudeRef")),
            int.TryParse(Value(TiffNs, "Orientation"), NumberStyles.None, CultureInfo.InvariantCulture, out var o) && o is >= 1 and <= 8 ? o : null,
            Value(TiffNs, "Make"), Value(TiffNs, "Model"), Value(ExifExNs, "LensModel") ?? Value(AuxNs, "Lens"),
            Value(DcNs, "creator"), Value(DcNs, "rights"), Value(XmpNs, "CreatorTool"));
        return facts == new XmpFacts(null, null, null, null, null, null, null, null, null) ? null : facts;
    }

    /// <summary>An XMP date (ISO 8601 with or without a zone and fractions) as the contract's stamp; a date without a time is no stamp.</summary>
    internal static string? Date(string? value)
    {
        if (value is null || value.Length < 16 || value[10] != 'T')
        {
            return null;
        }

        if (DateTimeOffset.TryParseExact(value, ["yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mmK"], CultureInfo.InvariantCulture,
                DateTimeStyles.None, out var zoned) && (value.EndsWith('Z') || value.LastIndexOfAny(['+', '-']) > 10))
        {
            return zoned.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + zoned.ToString("zzz", CultureInfo.InvariantCulture);
        }

        return DateTime.TryParseExact(value, ["yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm"], CultureInfo.InvariantCulture,
            DateTimeStyles.None, out var local)
            ? local.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)
            : null;
    }

    /// <summary>XMP's GPS coordinates: <c>DDD,MM,SSk</c> or <c>DDD,MM.mmk</c> with k one of N, S, E, W.</summary>
    internal static GpsPosition? Position(string? latitude, string? longitude, string? altitude, string? altitudeRef)
    {
        if (Coordinate(latitude, 'N', 'S') is not { } lat || Coordinate(longitude, 'E', 'W') is not { } lon
            || Math.Abs(lat) > 90 || Math.Abs(lon) > 180 || (lat == 0 && lon == 0))
        {
            return null;
        }

        double? metres = null;
        if (altitude?.Split('/') is { Length: 2 } fraction && double.TryParse(fraction[0], CultureInfo.InvariantCulture, out var n)
            && double.TryParse(fraction[1], CultureInfo.InvariantCulture, out var d) && d != 0 && double.IsFinite(n / d))
        {
            metres = Math.Round(altitudeRef == "1" ? -(n / d) : n / d, 3);
        }

        return new GpsPosition(Math.Round(lat, 7), Math.Round(lon, 7), metres);
    }

    private static double? Coordinate(string? value, char positive, char negative)
    {
        if (value is not { Length: >= 2 } || char.ToUpperInvariant(value[^1]) is var reference && reference != positive && reference != negative)
        {
            return null;
        }

        var parts = value[..^1].Split(',');
        if (parts.Length is < 2 or > 3)
        {
            return null;
        }

        double total = 0, scale = 1;
        foreach (var part in parts)
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || number < 0 || !double.IsFinite(number))
            {
                return null;
            }

            total += number / scale;
            scale *= 60;
        }

        return char.ToUpperInvariant(value[^1]) == negative ? -total : total;
    }
}
