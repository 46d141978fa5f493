using System.Text;
using ImageMeta.Contracts;

namespace ImageMeta.Extractor;

/// <summary>
/// HEIF and AVIF (ISO/IEC 23008-12 over ISO base media): the <c>meta</c> box's primary item (<c>pitm</c>), its
/// properties through <c>ipma</c> (<c>ispe</c> size, <c>irot</c>/<c>imir</c> transforms, <c>pixi</c> depth,
/// <c>colr</c> ICC profile), an alpha auxiliary item (<c>auxl</c> reference to an <c>auxC</c> alpha item), and the
/// <c>Exif</c> and XMP (<c>mime</c>, <c>application/rdf+xml</c>) items located through <c>iloc</c>, the clean aperture
/// (<c>clap</c>) that crops what is shown, and an image sequence's frame count from its <c>moov</c> track. Written here because
/// MetadataExtractor 2.4.3 reads no AVIF, and its HEIF reader neither applies the transforms nor reads <c>imir</c>.
/// The transforms decide the displayed orientation; the EXIF Orientation tag inside is not applied on top of them.
/// </summary>
internal static class IsoMediaHeader
{
    private const string Name = "HEIF";

    /// <summary>Most items, properties and associations a meta box may list; an iPhone's 48 MP grid has a few hundred.</summary>
    private const int MaxEntries = 65536;

    private const int MaxMetadataBytes = 4 * 1024 * 1024;

    public sealed record Box(string Type, long Start, long Body, long End);

    /// <summary>A box or item type as a string: the types read here as constants, any other one made once per box.</summary>
    private static string FourCc(ReadOnlySpan<byte> type) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(type) switch
    {
        0x66747970 => "ftyp",
        0x6D657461 => "meta",
        0x6D6F6F76 => "moov",
        0x6D646174 => "mdat",
        0x68646C72 => "hdlr",
        0x7069746D => "pitm",
        0x69696E66 => "iinf",
        0x696E6665 => "infe",
        0x69707270 => "iprp",
        0x6970636F => "ipco",
        0x69706D61 => "ipma",
        0x69726566 => "iref",
        0x696C6F63 => "iloc",
        0x69646174 => "idat",
        0x69737065 => "ispe",
        0x69726F74 => "irot",
        0x696D6972 => "imir",
        0x70697869 => "pixi",
        0x636F6C72 => "colr",
        0x636C6170 => "clap",
        0x61757843 => "auxC",
        0x6175786C => "auxl",
        0x7472616B => "trak",
        0x6D646961 => "mdia",
        0x6D696E66 => "minf",
        0x7374626C => "stbl",
        0x7374737A => "stsz",
        0x73747A32 => "stz2",
        0x73747364 => "stsd",
        0x68766331 => "hvc1",
        0x61763031 => "av01",
        0x67726964 => "grid",
        0x45786966 => "Exif",
        0x6D696D65 => "mime",
        0x75756964 => "uuid",
        0x64696D67 => "dimg",
        0x74686D62 => "thmb",
        0x63647363 => "cdsc",
        0x68766343 => "hvcC",
        0x61763143 => "av1C",
        0x66726565 => "free",
        _ => Encoding.ASCII.GetString(type),
    };

    /// <summary>
    /// The boxes between <paramref name="start"/> and <paramref name="end"/>; stops at one that is not in the head yet,
    /// which it asks the head to grow to unless <paramref name="inHeadOnly"/>.
    /// </summary>
    public static List<Box> Boxes(HeaderBytes bytes, long start, long end, out string? problem, bool inHeadOnly = false)
    {
        var boxes = new List<Box>();
        problem = null;
        for (var at = start; at + 8 <= end && boxes.Count < MaxEntries;)
        {
            if (inHeadOnly ? !bytes.Holds(at, 16) : !bytes.Has(at, 8))
            {
                break;
            }

            long size = bytes.U32(at, false);
            var type = FourCc(bytes.Span.Slice((int)at + 4, 4));
            var body = at + 8;
            if (size == 1)
            {
                if (!bytes.Has(at + 8, 8))
                {
                    break;
                }

                var large = bytes.U64(at + 8, false);
                size = large > long.MaxValue / 2 ? -1 : (long)large;
                body += 8;
            }
            else if (size == 0)
            {
                size = end == long.MaxValue ? long.MaxValue / 2 - at : end - at;
            }

            if (size < body - at || (end != long.MaxValue && at + size > end))
            {
                problem = $"the '{type}' box at {at} has an impossible length";
                break;
            }

            if (type == "uuid")
            {
                body += 16;
            }

            boxes.Add(new Box(type, at, body, at + size));
            at += size;
        }

        return boxes;
    }

    public static FormatHeaderRead Read(HeaderBytes bytes)
    {
        // A still image needs only its meta box, which comes before the media data: the boxes after that (the media
        // data ends the file, or the EXIF item's data follows it) are not asked for, so a header-only scan does not
        // read the whole file to find where its last box starts. An image sequence's moov may come after the media
        // data, so a file branded as one has every top-level box looked at.
        var top = Boxes(bytes, 0, long.MaxValue, out var problem, inHeadOnly: true);
        var ftyp = top.Find(b => b.Type == "ftyp");
        var sequenceBrand = ftyp is not null && bytes.TryGet(ftyp.Body, ftyp.End - ftyp.Body, out var brands) && IsSequence(brands.Span);
        if (top.Find(b => b.Type == "meta") is null || sequenceBrand)
        {
            top = Boxes(bytes, 0, long.MaxValue, out problem);
        }

        var meta = top.Find(b => b.Type == "meta");
        var moov = top.Find(b => b.Type == "moov");
        var sequence = UsesTrack(sequenceBrand, meta, moov) && bytes.Has(moov!.Start, moov.End - moov.Start) ? SequenceTrack(bytes, moov) : null;
        if (meta is null)
        {
            return sequence is { Width: > 0, Height: > 0 } track ? FromTrack(track)
                : problem is not null ? FormatHeaderRead.Corrupt(Name, problem)
                : top.Count > 0 && top[^1].End > ContentPass.HeadLimit - 8 ? BeyondLimit("meta box")
                : bytes.Missing(Name, "meta box");
        }

        if (meta.End > ContentPass.HeadLimit)
        {
            return BeyondLimit("meta box");
        }

        if (!bytes.Has(meta.Start, meta.End - meta.Start))
        {
            return bytes.Missing(Name, "meta box");
        }

        return Describe(bytes, meta, sequence, origin: -1);
    }

    /// <summary>
    /// A box the answer needs ends, or a box header lies, past <see cref="ContentPass.HeadLimit"/>: more than a header may
    /// take, whether or not the content really reaches that far (the hashed pass cannot know before reading it all).
    /// </summary>
    private static FormatHeaderRead BeyondLimit(string what) =>
        new(null, new ProcessingFailure(FailureClass.TooLarge, $"The {Name} header puts its {what} beyond the first {ContentPass.HeadLimit} bytes, which is more than a header may take."));

    /// <summary>
    /// Whether the frame count comes from a moov track: the file is branded as a sequence, has no still image, or puts
    /// its moov first (it is then within any head that holds the meta box).
    /// </summary>
    private static bool UsesTrack(bool sequenceBrand, Box? meta, Box? moov) =>
        moov is not null && (sequenceBrand || meta is null || moov.Start < meta.Start);

    /// <summary>An image sequence with no still image (brand msf1/avis without a meta box): the track's sample entry gives the size and the codec.</summary>
    private static FormatHeader FromTrack(Track track) => new()
    {
        Width = track.Width,
        Height = track.Height,
        Format = track.Codec == "av01" ? ImageFormats.Avif : ImageFormats.Heif,
        Frames = track.Samples,
    };

    /// <summary>
    /// A header-facts scan of a seekable source (<see cref="ContentPass.CanSkip"/>): the top-level boxes are walked by
    /// their headers through the pass's window, seeking over the media data, so a meta box after megabytes of tiles (a
    /// Samsung phone's) costs a read of its own, not of everything before it. Then the ftyp, the moov when it counts the
    /// frames, and the meta box are read, and the EXIF and XMP items through the window wherever they lie. The limits are
    /// the head's: no box is read that ends past <see cref="ContentPass.HeadLimit"/> (the hashed pass, which keeps the
    /// boxes in its head, could not hold it either), so both modes give the same answer, a too-large one included.
    /// </summary>
    public static FormatHeaderRead Scan(ContentPass pass)
    {
        var top = new List<Box>();
        string? problem = null;
        var limited = false;
        Span<byte> header = stackalloc byte[16];
        for (long at = 0; ;)
        {
            if (top.Count >= MaxEntries || at + 8 > ContentPass.HeadLimit)
            {
                limited = at + 8 > ContentPass.HeadLimit;
                break;
            }

            if (top.Count % 4096 == 4095)
            {
                pass.Clock.Check();
            }

            var got = pass.ReadAt(at, header);
            if (got < 8)
            {
                break;
            }

            long size = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header);
            var type = FourCc(header.Slice(4, 4));
            var body = at + 8;
            if (size == 1)
            {
                if (got < 16 || at + 16 > ContentPass.HeadLimit)
                {
                    limited = got == 16;
                    break;
                }

                var large = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(header[8..]);
                size = large > long.MaxValue / 2 ? -1 : (long)large;
                body += 8;
            }
            else if (size == 0)
            {
                size = long.MaxValue / 2 - at;
            }

            if (size < body - at)
            {
                problem = $"the '{type}' box at {at} has an impossible length";
                break;
            }

            top.Add(new Box(type, at, type == "uuid" ? body + 16 : body, at + size));
            at += size;
        }

        // The boxes needed, each on its own: its bytes as a header of their own, with positions from its start.
        HeaderBytes? Load(Box? box, out Box rebased)
        {
            rebased = box is null ? new Box("", 0, 0, 0) : new Box(box.Type, 0, box.Body - box.Start, box.End - box.Start);
            if (box is null || box.End > ContentPass.HeadLimit)
            {
                return null;
            }

            var data = GC.AllocateUninitializedArray<byte>((int)(box.End - box.Start));
            pass.HeldAside += data.Length;
            return pass.ReadAt(box.Start, data) == data.Length ? new HeaderBytes(data, whole: true) : null;
        }

        // Why the meta box is not there: it lies past what a header may take, or the content ends first.
        FormatHeaderRead Missing(Box? box) =>
            (box is null ? limited : box.End > ContentPass.HeadLimit) ? BeyondLimit("meta box") : FormatHeaderRead.Corrupt(Name, "the content ends before its meta box");

        var ftyp = Load(top.Find(b => b.Type == "ftyp"), out var ftypBox);
        var sequenceBrand = ftyp is not null && IsSequence(ftyp.Span[(int)ftypBox.Body..]);
        var meta = top.Find(b => b.Type == "meta");
        var moov = top.Find(b => b.Type == "moov");
        var sequence = UsesTrack(sequenceBrand, meta, moov) && Load(moov, out var moovBox) is { } moovBytes ? SequenceTrack(moovBytes, moovBox) : null;
        if (meta is null)
        {
            return sequence is { Width: > 0, Height: > 0 } track ? FromTrack(track)
                : problem is not null ? FormatHeaderRead.Corrupt(Name, problem) : Missing(null);
        }

        if (Load(meta, out var metaBox) is not { } metaBytes)
        {
            return Missing(meta);
        }

        var read = Describe(metaBytes, metaBox, sequence, origin: meta.Start);
        if (read.Header is not { } found)
        {
            return read;
        }

        // The items beyond the meta box, in file order (the pass seeks back to one that lies before it).
        ReadOnlyMemory<byte>? exif = found.Exif, xmp = found.Xmp;
        foreach (var (isExif, range) in new[] { (true, found.ExifBeyondHead), (false, found.XmpBeyondHead) }.Where(r => r.Item2 is not null).OrderBy(r => r.Item2!.Value.Offset))
        {
            var data = GC.AllocateUninitializedArray<byte>((int)range!.Value.Length);
            pass.HeldAside += data.Length;
            if (pass.ReadAt(range.Value.Offset, data) == data.Length)
            {
                _ = isExif ? exif = ExifItem(data) : xmp = data;
            }
        }

        return found with { Exif = exif, Xmp = xmp, ExifBeyondHead = null, XmpBeyondHead = null };
    }

    /// <summary>
    /// The facts of the meta box <paramref name="meta"/> in <paramref name="bytes"/>. With <paramref name="origin"/> -1 the
    /// bytes are the head (file positions); otherwise they are the meta box alone, read from file position
    /// <paramref name="origin"/>, and an item's data outside them is named as beyond the head for the scan to read.
    /// </summary>
    private static FormatHeaderRead Describe(HeaderBytes bytes, Box meta, Track? sequence, long origin)
    {
        var children = Boxes(bytes, meta.Body + 4, meta.End, out var problem); // meta is a full box
        if (problem is not null)
        {
            return FormatHeaderRead.Corrupt(Name, problem);
        }

        var pitm = children.Find(b => b.Type == "pitm");
        if (pitm is null)
        {
            return FormatHeaderRead.Corrupt(Name, "it names no primary item");
        }

        var primary = bytes.Span[(int)pitm.Body] == 0 ? bytes.U16(pitm.Body + 4, false) : bytes.U32(pitm.Body + 4, false);
        var items = ItemInfos(bytes, children.Find(b => b.Type == "iinf"));
        var properties = children.Find(b => b.Type == "iprp") is { } iprp ? Boxes(bytes, iprp.Body, iprp.End, out _) : [];
        var ipco = properties.Find(b => b.Type == "ipco") is { } pc ? Boxes(bytes, pc.Body, pc.End, out _) : [];
        var associations = Associations(bytes, properties.FindAll(b => b.Type == "ipma"));
        var references = References(bytes, children.Find(b => b.Type == "iref"));
        var locations = Locations(bytes, children.Find(b => b.Type == "iloc"), children.Find(b => b.Type == "idat"));

        List<Box> PropertiesOf(uint item)
        {
            var found = new List<Box>();
            foreach (var index in associations.TryGetValue(item, out var indices) ? indices : [])
            {
                if (index >= 1 && index <= ipco.Count)
                {
                    found.Add(ipco[index - 1]);
                }
            }

            return found;
        }

        var primaryProperties = PropertiesOf(primary);
        var ispe = primaryProperties.Find(b => b.Type == "ispe");
        if (ispe is null || !bytes.Has(ispe.Body, 12))
        {
            return FormatHeaderRead.Corrupt(Name, "its primary item has no image size property (ispe)");
        }

        var width = bytes.U32(ispe.Body + 4, false);
        var height = bytes.U32(ispe.Body + 8, false);

        // The transformative properties apply in the order the item's ipma lists them, each to the image the ones
        // before it made (HEIF, ISO/IEC 23008-12 6.3 and 6.5.1); MIAF (ISO/IEC 23000-22 7.3.6.7) fixes that order as
        // clean aperture, then rotation, then mirror. So a clap crops the image as the transforms before it left it,
        // and the shown size is followed through each step rather than derived from the orientation at the end.
        var orientation = 1;
        (long Width, long Height) shown = (width, height);
        var cropped = false;
        foreach (var property in primaryProperties)
        {
            if (property.Type == "irot" && bytes.Has(property.Body, 1))
            {
                var turns = bytes.Span[(int)property.Body] & 3;
                orientation = Orientations.Then(orientation, Orientations.AnticlockwiseQuarterTurns(turns));
                shown = (turns & 1) == 1 ? (shown.Height, shown.Width) : shown;
            }
            else if (property.Type == "imir" && bytes.Has(property.Body, 1))
            {
                orientation = Orientations.Then(orientation, (bytes.Span[(int)property.Body] & 1) == 0 ? 4 : 2);
            }
            else if (property.Type == "clap" && CleanAperture(bytes, property, shown) is { } aperture)
            {
                shown = aperture;
                cropped = true;
            }
        }

        var bits = primaryProperties.Find(b => b.Type == "pixi") is { } pixi && bytes.Has(pixi.Body, 6) && bytes.Span[(int)pixi.Body + 4] > 0
            ? bytes.Span[(int)pixi.Body + 5]
            : 8;
        var channels = primaryProperties.Find(b => b.Type == "pixi") is { } p && bytes.Has(p.Body, 5) ? bytes.Span[(int)p.Body + 4] : 3;
        ReadOnlyMemory<byte>? icc = null;
        if (primaryProperties.Find(b => b.Type == "colr") is { } colr && bytes.TryGet(colr.Body, 4, out var colorType)
            && (colorType.Span.SequenceEqual("prof"u8) || colorType.Span.SequenceEqual("rICC"u8)) && bytes.TryGet(colr.Body + 4, colr.End - colr.Body - 4, out var profile))
        {
            icc = profile;
        }

        // Alpha: an auxiliary item referring to the primary with an alpha auxC.
        var alpha = false;
        foreach (var reference in references.Where(r => r.Type == "auxl" && r.To.Contains(primary)))
        {
            if (PropertiesOf(reference.From).Find(b => b.Type == "auxC") is { } auxC
                && bytes.TryGet(auxC.Body + 4, Math.Min(64, auxC.End - auxC.Body - 4), out var urn))
            {
                var text = Encoding.ASCII.GetString(urn.Span);
                alpha |= text.Contains(":alpha", StringComparison.Ordinal) || text.StartsWith("urn:mpeg:hevc:2015:auxid:1", StringComparison.Ordinal);
            }
        }

        ReadOnlyMemory<byte>? exif = null, xmp = null;
        ItemRange? exifBeyond = null, xmpBeyond = null;
        var exifSeen = false;
        var xmpSeen = false;
        foreach (var (id, type, contentType) in items)
        {
            if (type == "Exif" && !exifSeen)
            {
                exifSeen = true;
                exif = Data(bytes, locations, id, origin, out exifBeyond) is { } block ? ExifItem(block) : null;
            }
            else if (type == "mime" && !xmpSeen && contentType == "application/rdf+xml")
            {
                xmpSeen = true;
                xmp = Data(bytes, locations, id, origin, out xmpBeyond);
            }
        }

        var primaryType = items.Find(i => i.Id == primary).Type;
        var isAv1 = primaryType == "av01" || (primaryType == "grid" && items.Exists(i => i.Type == "av01"));
        // Every item's data (a grid's tiles are items of their own) must be in the file.
        long declared = 0;
        foreach (var extents in locations.Values)
        {
            foreach (var extent in extents)
            {
                declared = extent.InFile ? Math.Max(declared, extent.Offset + extent.Length) : declared;
            }
        }

        return new FormatHeader
        {
            Width = width,
            Height = height,
            Format = isAv1 ? ImageFormats.Avif : primaryType is "hvc1" or "grid" ? ImageFormats.Heif : null,
            Orientation = orientation,
            Shown = cropped ? shown : null,
            Frames = sequence?.Samples ?? 1,
            HasAlpha = alpha,
            ColorType = FormatHeader.ColorTypeOf(channels, bits),
            Exif = exif,
            Xmp = xmp,
            ExifBeyondHead = exifBeyond,
            XmpBeyondHead = xmpBeyond,
            Icc = icc,
            DeclaredLength = declared,
        };
    }

    /// <summary>Whether the file type box's body names an image sequence brand (<c>msf1</c>, HEVC's <c>hevc</c>/<c>hevx</c>/<c>hevs</c>, AV1's <c>avis</c>).</summary>
    private static bool IsSequence(ReadOnlySpan<byte> body)
    {
        for (var at = 0; at + 4 <= body.Length; at += at == 0 ? 8 : 4) // the major brand, its version, then the compatible brands
        {
            var brand = body.Slice(at, 4);
            if (brand.SequenceEqual("msf1"u8) || brand.SequenceEqual("hevc"u8) || brand.SequenceEqual("hevx"u8)
                || brand.SequenceEqual("hevs"u8) || brand.SequenceEqual("avis"u8))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The size a <c>clap</c> box crops <paramref name="image"/> to: its width and height fractions rounded to the
    /// nearest pixel, as libheif rounds them, and kept within the image (libheif clamps the crop to the image's edges
    /// too). Null for a box with a zero denominator or an empty aperture, which says nothing that can be shown.
    /// </summary>
    private static (long Width, long Height)? CleanAperture(HeaderBytes bytes, Box clap, (long Width, long Height) image)
    {
        if (!bytes.Has(clap.Body, 16))
        {
            return null;
        }

        long widthN = bytes.U32(clap.Body, false), widthD = bytes.U32(clap.Body + 4, false);
        long heightN = bytes.U32(clap.Body + 8, false), heightD = bytes.U32(clap.Body + 12, false);
        if (widthD == 0 || heightD == 0)
        {
            return null;
        }

        var width = Math.Min(image.Width, (widthN + (widthD / 2)) / widthD);
        var height = Math.Min(image.Height, (heightN + (heightD / 2)) / heightD);
        return width > 0 && height > 0 ? (width, height) : null;
    }

    /// <summary>The visual track of an image sequence: its codec, the size its sample entry gives, and its sample count.</summary>
    internal sealed record Track(string Codec, long Width, long Height, int Samples);

    /// <summary>
    /// An image sequence's track (HEIF 7, brands <c>msf1</c>/<c>avis</c>): the first <c>trak</c> in <c>moov</c> whose
    /// handler is <c>pict</c> (or <c>vide</c>), with its samples counted from <c>stsz</c> or <c>stz2</c>. An alpha or depth
    /// sequence is a track of its own with the <c>auxv</c> handler and is not counted. Null without a readable one (a
    /// <c>moov</c> past what a header may take included: the still image is then all that is reported).
    /// </summary>
    private static Track? SequenceTrack(HeaderBytes bytes, Box moov)
    {
        foreach (var trak in Boxes(bytes, moov.Body, moov.End, out _).Where(b => b.Type == "trak"))
        {
            var mdia = Child(bytes, trak, "mdia");
            var hdlr = mdia is null ? null : Child(bytes, mdia, "hdlr");
            if (hdlr is null || !bytes.TryGet(hdlr.Body + 8, 4, out var handler)
                || !(handler.Span.SequenceEqual("pict"u8) || handler.Span.SequenceEqual("vide"u8)))
            {
                continue;
            }

            var stbl = Child(bytes, mdia!, "minf") is { } minf ? Child(bytes, minf, "stbl") : null;
            if (stbl is null)
            {
                continue;
            }

            long samples = -1;
            if (Child(bytes, stbl, "stsz") is { } stsz && bytes.Has(stsz.Body, 12))
            {
                samples = bytes.U32(stsz.Body + 8, false);
            }
            else if (Child(bytes, stbl, "stz2") is { } stz2 && bytes.Has(stz2.Body, 12))
            {
                samples = bytes.U32(stz2.Body + 8, false);
            }

            if (samples < 1)
            {
                continue;
            }

            // stsd (a full box with an entry count), its first entry a VisualSampleEntry: width and height at 24 and 26.
            string codec = "";
            long width = 0, height = 0;
            if (Child(bytes, stbl, "stsd") is { } stsd && bytes.Has(stsd.Body + 8, 36))
            {
                codec = FourCc(bytes.Span.Slice((int)stsd.Body + 12, 4));
                width = bytes.U16(stsd.Body + 8 + 32, false);
                height = bytes.U16(stsd.Body + 8 + 34, false);
            }

            return new Track(codec, width, height, (int)Math.Min(samples, int.MaxValue));
        }

        return null;
    }

    private static Box? Child(HeaderBytes bytes, Box parent, string type) => Boxes(bytes, parent.Body, parent.End, out _).Find(b => b.Type == type);

    private static List<(uint Id, string Type, string? ContentType)> ItemInfos(HeaderBytes bytes, Box? iinf)
    {
        var items = new List<(uint, string, string?)>();
        if (iinf is null || !bytes.Has(iinf.Body, 6))
        {
            return items;
        }

        var first = iinf.Body + 4 + (bytes.Span[(int)iinf.Body] == 0 ? 2 : 4);
        foreach (var infe in Boxes(bytes, first, iinf.End, out _))
        {
            if (infe.Type != "infe" || !bytes.TryGet(infe.Body, infe.End - infe.Body, out var body) || body.Length < 12 || body.Span[0] < 2)
            {
                continue;
            }

            var span = body.Span;
            var wide = span[0] >= 3;
            uint id = wide ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(span[4..]) : System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(span[4..]);
            var typeAt = wide ? 10 : 8;
            if (typeAt + 4 > span.Length)
            {
                continue;
            }

            var type = FourCc(span.Slice(typeAt, 4));
            string? contentType = null;
            if (type == "mime")
            {
                var rest = span[(typeAt + 4)..];
                var nameEnd = rest.IndexOf((byte)0);
                if (nameEnd >= 0)
                {
                    var content = rest[(nameEnd + 1)..];
                    var end = content.IndexOf((byte)0);
                    contentType = Encoding.ASCII.GetString(end >= 0 ? content[..end] : content);
                }
            }

            items.Add((id, type, contentType));
        }

        return items;
    }

    private static Dictionary<uint, List<int>> Associations(HeaderBytes bytes, List<Box> ipmas)
    {
        var map = new Dictionary<uint, List<int>>();
        foreach (var ipma in ipmas)
        {
            if (!bytes.TryGet(ipma.Body, ipma.End - ipma.Body, out var body) || body.Length < 8)
            {
                continue;
            }

            var span = body.Span;
            var version = span[0];
            var large = (span[3] & 1) != 0;
            var count = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(span[4..]);
            map.EnsureCapacity(map.Count + (int)Math.Min(count, Math.Min(MaxEntries, span.Length / 3)));
            var at = 8;
            for (var i = 0; i < count && i < MaxEntries; i++)
            {
                var idSize = version < 1 ? 2 : 4;
                if (at + idSize + 1 > span.Length)
                {
                    break;
                }

                uint id = idSize == 2 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(span[at..]) : System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(span[at..]);
                at += idSize;
                int n = span[at++];
                var list = map.TryGetValue(id, out var found) ? found : map[id] = new List<int>(n);
                for (var j = 0; j < n; j++)
                {
                    if (at + (large ? 2 : 1) > span.Length)
                    {
                        break;
                    }

                    list.Add(large ? ((span[at] << 8) | span[at + 1]) & 0x7FFF : span[at] & 0x7F);
                    at += large ? 2 : 1;
                }
            }
        }

        return map;
    }

    private static List<(string Type, uint From, List<uint> To)> References(HeaderBytes bytes, Box? iref)
    {
        var list = new List<(string, uint, List<uint>)>();
        if (iref is null || !bytes.Has(iref.Body, 4))
        {
            return list;
        }

        var wide = bytes.Span[(int)iref.Body] != 0;
        var idSize = wide ? 4 : 2;
        foreach (var reference in Boxes(bytes, iref.Body + 4, iref.End, out _))
        {
            if (!bytes.TryGet(reference.Body, reference.End - reference.Body, out var body) || body.Length < idSize + 2)
            {
                continue;
            }

            uint Id(int at) => wide ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(body.Span[at..]) : System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(body.Span[at..]);
            var span = body.Span;
            var from = Id(0);
            var count = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(span[idSize..]);
            var to = new List<uint>();
            for (var i = 0; i < count && idSize + 2 + ((i + 1) * idSize) <= span.Length; i++)
            {
                to.Add(Id(idSize + 2 + (i * idSize)));
            }

            list.Add((reference.Type, from, to));
        }

        return list;
    }

    private sealed record Extent(long Offset, long Length, bool InFile);

    /// <summary>iloc: each item's extents, as file offsets (construction method 0) or offsets into the meta's idat (method 1).</summary>
    private static Dictionary<uint, List<Extent>> Locations(HeaderBytes bytes, Box? iloc, Box? idat)
    {
        var map = new Dictionary<uint, List<Extent>>();
        if (iloc is null || !bytes.TryGet(iloc.Body, iloc.End - iloc.Body, out var body) || body.Length < 8)
        {
            return map;
        }

        var data = body;
        var span = data.Span;
        var version = span[0];
        var offsetSize = span[4] >> 4;
        var lengthSize = span[4] & 15;
        var baseSize = span[5] >> 4;
        var indexSize = version is 1 or 2 ? span[5] & 15 : 0;
        var at = 6;
        bool Fits(int n) => at + n <= data.Length;
        long Number(int size)
        {
            long value = 0;
            for (var i = 0; i < size; i++)
            {
                value = (value << 8) | data.Span[at + i];
            }

            at += size;
            return value;
        }

        if (!Fits(version < 2 ? 2 : 4))
        {
            return map;
        }

        var count = Number(version < 2 ? 2 : 4);
        map.EnsureCapacity((int)Math.Min(count, Math.Min(MaxEntries, data.Length / 6)));
        for (var i = 0; i < count && i < MaxEntries; i++)
        {
            if (!Fits((version < 2 ? 2 : 4) + (version is 1 or 2 ? 2 : 0) + 2 + baseSize + 2))
            {
                break;
            }

            var id = (uint)Number(version < 2 ? 2 : 4);
            var method = version is 1 or 2 ? Number(2) & 15 : 0;
            Number(2); // data reference index
            var baseOffset = Number(baseSize);
            var extentCount = Number(2);
            var extents = new List<Extent>((int)Math.Min(extentCount, 16));
            for (var j = 0; j < extentCount; j++)
            {
                if (!Fits(indexSize + offsetSize + lengthSize))
                {
                    break;
                }

                Number(indexSize);
                var offset = baseOffset + Number(offsetSize);
                var length = Number(lengthSize);
                extents.Add(method == 1 && idat is not null
                    ? new Extent(idat.Body + offset, length, false)
                    : new Extent(offset, length, method == 0));
            }

            if (method is 0 or 1)
            {
                map[id] = extents;
            }
        }

        return map;
    }

    /// <summary>The TIFF-structured part of an EXIF item: a 4-byte offset to the TIFF header (past any "Exif\0\0"), then the bytes.</summary>
    public static ReadOnlyMemory<byte>? ExifItem(ReadOnlyMemory<byte> block)
    {
        if (block.Length <= 4)
        {
            return null;
        }

        var offset = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(block.Span);
        return offset < block.Length - 4 ? block[(4 + (int)offset)..] : null;
    }

    /// <summary>
    /// An item's bytes when it is one extent in the head. One in the file beyond the head, of at most a read's size
    /// (phones put the EXIF item after megabytes of tiles), is named in <paramref name="beyond"/> for the scan to read on
    /// its own; a larger one is asked of the head as before. Null otherwise. With an <paramref name="origin"/> of 0 or
    /// more, <paramref name="bytes"/> are the meta box alone, from that file position: an item outside it is named in
    /// <paramref name="beyond"/> when the head could have held it (at most a read's size, or ending within the head's limit).
    /// </summary>
    private static ReadOnlyMemory<byte>? Data(HeaderBytes bytes, Dictionary<uint, List<Extent>> locations, uint id, long origin, out ItemRange? beyond)
    {
        beyond = null;
        if (!locations.TryGetValue(id, out var extents) || extents.Count != 1 || extents[0].Length is <= 0 or > MaxMetadataBytes)
        {
            return null;
        }

        var (offset, length) = (extents[0].Offset, extents[0].Length);
        if (origin >= 0 && extents[0].InFile)
        {
            if (offset >= origin && bytes.Holds(offset - origin, length))
            {
                return bytes.Memory.Slice((int)(offset - origin), (int)length);
            }

            if (length <= ContentPass.ChunkSize || offset <= ContentPass.HeadLimit - length)
            {
                beyond = new ItemRange(offset, length);
            }

            return null;
        }

        if (!bytes.Holds(offset, length) && extents[0].InFile && length <= ContentPass.ChunkSize && offset >= bytes.Length)
        {
            beyond = new ItemRange(offset, length);
            return null;
        }

        return bytes.TryGet(offset, length, out var data) ? data : null;
    }
}

/// <summary>EXIF orientations (1–8) as the transforms they are, so a container's transforms can be combined into one.</summary>
internal static class Orientations
{
    // Where each orientation sends the unit vectors (x right, y down): (a, b, c, d) for x' = a·x + b·y, y' = c·x + d·y.
    private static readonly (int A, int B, int C, int D)[] Matrices =
    [
        (1, 0, 0, 1), (-1, 0, 0, 1), (-1, 0, 0, -1), (1, 0, 0, -1), (0, 1, 1, 0), (0, -1, 1, 0), (0, -1, -1, 0), (0, 1, -1, 0),
    ];

    /// <summary>The orientation of turning the stored image anticlockwise by <paramref name="turns"/> quarter turns (HEIF's irot).</summary>
    public static int AnticlockwiseQuarterTurns(int turns) => (turns & 3) switch { 0 => 1, 1 => 8, 2 => 3, _ => 6 };

    /// <summary>The orientation of applying <paramref name="first"/>, then <paramref name="then"/>.</summary>
    public static int Then(int first, int then)
    {
        var (a, b, c, d) = Matrices[first - 1];
        var (e, f, g, h) = Matrices[then - 1];
        var product = ((e * a) + (f * c), (e * b) + (f * d), (g * a) + (h * c), (g * b) + (h * d));
        return Array.IndexOf(Matrices, product) + 1;
    }
}
