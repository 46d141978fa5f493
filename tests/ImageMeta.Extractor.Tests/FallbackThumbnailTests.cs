using ImageMagick;
using ImageMeta.Contracts;
using ImageMeta.Testing.Images;
using SkiaSharp;
using PerceptualHash = ImageMeta.Contracts.PerceptualHash;

namespace ImageMeta.Extractor.Tests;

/// <summary>
/// Thumbnails of the formats SkiaSharp does not decode, through the renderer: each format gets one, shown as its own
/// rules say exactly once (HEIF's irot/imir and never also its EXIF, TIFF's orientation tag, a RAW's orientation on
/// its embedded preview), the hash matches the JPEG of the same picture, limits hold, and the setting turns it off.
/// </summary>
public sealed class FallbackThumbnailTests
{
    private static ThumbnailRenderer Renderer(ExtractionOptions? limits = null, ThumbnailOptions? options = null, long budget = 1L << 30) =>
        ThumbnailRendererTests.Renderer(limits, options, budget);

    private static RenderedThumbnail Rendered(byte[] content) => ThumbnailRendererTests.Rendered(content);

    /// <summary>Asserts the thumbnail is <paramref name="width"/>×<paramref name="height"/> with the red quarter in the named corner and blue opposite.</summary>
    private static void AssertRedCorner(RenderedThumbnail thumbnail, int width, int height, bool right, bool bottom)
    {
        Assert.Equal((width, height), (thumbnail.Width, thumbnail.Height));
        using var shown = SKBitmap.Decode(thumbnail.Webp);
        var x = right ? shown.Width - 8 : 8;
        var y = bottom ? shown.Height - 8 : 8;
        Assert.True(shown.GetPixel(x, y).Red > 180 && shown.GetPixel(x, y).Blue < 90, $"({x},{y}) is {shown.GetPixel(x, y)}, not red");
        var opposite = shown.GetPixel(shown.Width - 1 - x, shown.Height - 1 - y);
        Assert.True(opposite.Blue > 180 && opposite.Red < 90, $"the opposite corner is {opposite}, not blue");
    }

    public static TheoryData<string> WrittenByImageMagick => ["tiff", "psd", "pnm", "jp2", "jxl"];

    [Theory]
    [MemberData(nameof(WrittenByImageMagick))]
    public void Each_format_imagemagick_writes_gets_a_thumbnail_as_stored(string format)
    {
        using var picture = FallbackSamples.MarkedCorner();
        var coder = format switch
        {
            "tiff" => MagickFormat.Tiff,
            "psd" => MagickFormat.Psd,
            "pnm" => MagickFormat.Ppm,
            "jp2" => MagickFormat.Jp2,
            _ => MagickFormat.Jxl,
        };

        var thumbnail = Rendered(FallbackSamples.Written(picture, coder));

        AssertRedCorner(thumbnail, 80, 60, right: false, bottom: false);
        Assert.Equal((80, 60), (thumbnail.Preview!.Width, thumbnail.Preview.Height));
    }

    [SkippableFact]
    public void A_heic_and_an_avif_get_thumbnails()
    {
        using var picture = FallbackSamples.MarkedCorner();
        var png = FallbackSamples.Png(picture);

        AssertRedCorner(Rendered(FallbackSamples.Heic(png)), 80, 60, right: false, bottom: false);
        AssertRedCorner(Rendered(FallbackSamples.Avif(png)), 80, 60, right: false, bottom: false);
    }

    [Fact]
    public void A_tiff_is_shown_as_its_orientation_tag_says()
    {
        using var picture = FallbackSamples.MarkedCorner();

        // 6: the stored picture turned 90° clockwise to be shown, so its top-left corner ends at the top right.
        AssertRedCorner(Rendered(FallbackSamples.Written(picture, MagickFormat.Tiff, Orientation.RightTop)), 60, 80, right: true, bottom: false);
        AssertRedCorner(Rendered(FallbackSamples.Written(picture, MagickFormat.Tiff, Orientation.BottomRight)), 80, 60, right: true, bottom: true);
    }

    [SkippableFact]
    public void A_heic_is_turned_by_its_irot_once_like_the_jpeg_of_the_same_picture_with_exif_orientation()
    {
        using var picture = FallbackSamples.MarkedCorner();
        var jpeg = ImageWriters.WithExif(PhotoLikeImages.Encode(picture, SKEncodedImageFormat.Jpeg, 95), new ImageWriters.ExifTags(Orientation: 6));

        // As a phone writes it: the pixels as the sensor saw them, irot 3 (270° counter-clockwise, i.e. 90° clockwise)
        // and the same turn again in EXIF (heif-enc copies the JPEG's EXIF). Applying both would show it upside down.
        var heic = FallbackSamples.WithTransforms(FallbackSamples.Heic(jpeg, ".jpg"), irot: 3, imir: null);
        var irotOnly = FallbackSamples.WithTransforms(FallbackSamples.Heic(FallbackSamples.Png(picture)), irot: 3, imir: null);
        var exifOnly = FallbackSamples.Heic(jpeg, ".jpg");

        AssertRedCorner(Rendered(jpeg), 60, 80, right: true, bottom: false);
        AssertRedCorner(Rendered(heic), 60, 80, right: true, bottom: false);
        AssertRedCorner(Rendered(irotOnly), 60, 80, right: true, bottom: false);

        // In HEIF the transforms decide, not EXIF: without irot the picture is shown as stored.
        AssertRedCorner(Rendered(exifOnly), 80, 60, right: false, bottom: false);
    }

    [SkippableFact]
    public void A_heif_mirror_and_an_avif_rotation_are_applied()
    {
        using var picture = FallbackSamples.MarkedCorner();
        var png = FallbackSamples.Png(picture);

        // imir 1: mirrored left to right (the red corner moves to the top right).
        AssertRedCorner(Rendered(FallbackSamples.WithTransforms(FallbackSamples.Heic(png), irot: null, imir: 1)), 80, 60, right: true, bottom: false);
        AssertRedCorner(Rendered(FallbackSamples.Avif(png, imir: 1)), 80, 60, right: true, bottom: false);

        // irot 1: 90° counter-clockwise (the top-left corner ends at the bottom left).
        AssertRedCorner(Rendered(FallbackSamples.Avif(png, irot: 1)), 60, 80, right: false, bottom: true);
    }

    /// <summary>Real phone photos in the corpus (an iPhone 11 Pro, an iPhone XR and a Samsung S10+, two of them stored turned), by name.</summary>
    public static TheoryData<string> PhoneHeics => ["exif-at-eof", "Issue-263-dotnet", "Issue-487"];

    [Theory]
    [MemberData(nameof(PhoneHeics))]
    public void A_phone_heic_thumbnail_is_the_right_way_up_as_libheif_shows_it(string name)
    {
        // The reference is libheif's own decode (heif-convert, corpus/references.sh): irot/imir applied, EXIF not.
        AssertLooksLikeReference(Path.Combine("metadata-extractor-images", name + ".heic"), name);
    }

    /// <summary>
    /// Real cameras' RAWs in the corpus that carry a whole embedded JPEG: a Sony SLT-A55V with its 1616×1080 preview, a
    /// DSLR-A330 cut before its preview (its 160×120 thumbnail is the largest JPEG left) and a ZV-E10 held turned (IFD0
    /// Orientation 6) cut after its thumbnail; and the synthetic ORF, PEF and SRW (generated/, make-raws.py), turned 270°,
    /// 90° and 180°, whose previews are in their maker notes (the PEF's largest is its IFD2 JpgFromRaw).
    /// </summary>
    public static TheoryData<string> CameraRaws =>
        ["evanoberholster-imagemeta/Sony-SLT-A55V.arw", "bep-imagemeta/Sony-DSLR-A330.arw", "file-type/fixture-sony-zv-e10.arw",
            "generated/olympus.orf", "generated/pentax.pef", "generated/samsung.srw"];

    [Theory]
    [MemberData(nameof(CameraRaws))]
    public void A_camera_raw_thumbnail_is_its_embedded_preview_turned_as_exiftool_reads_the_raw_orientation(string file)
    {
        // The reference is exiftool's extract of the largest embedded JPEG, turned by the RAW's IFD0 Orientation (references.sh).
        AssertLooksLikeReference(file, Path.GetFileNameWithoutExtension(file));
    }

    /// <summary>Asserts the corpus file's thumbnail has the reference picture's shape and looks like it, and not like it turned upside down.</summary>
    private static void AssertLooksLikeReference(string file, string reference)
    {
        var corpus = Path.Combine(AppContext.BaseDirectory, "corpus");
        using var expected = SKBitmap.Decode(Path.Combine(corpus, "reference", reference + ".png"));
        var thumbnail = Rendered(File.ReadAllBytes(Path.Combine(corpus, file)));
        using var shown = SKBitmap.Decode(thumbnail.Webp);

        Assert.Equal(expected.Width / (double)expected.Height, shown.Width / (double)shown.Height, 1);
        using var scaled = shown.Resize(new SKImageInfo(expected.Width, expected.Height), new SKSamplingOptions(SKFilterMode.Linear));
        var upright = MeanDifference(scaled, expected, halfTurned: false);
        var halfTurned = MeanDifference(scaled, expected, halfTurned: true);
        Assert.True(upright < 16, $"{file}: differs from the reference picture by {upright:F1} a channel on average");
        Assert.True(upright * 2 < halfTurned, $"{file}: as close to the picture turned upside down ({halfTurned:F1}) as to it ({upright:F1})");
    }

    [Fact]
    public void A_clean_aperture_crops_the_thumbnail_as_it_crops_the_shown_size_and_a_sequence_shows_its_first_frame()
    {
        var corpus = Path.Combine(AppContext.BaseDirectory, "corpus", "generated");

        // 96x64 cropped to 80x40, then turned a quarter anticlockwise: what the metadata calls the shown size.
        var cropped = Rendered(File.ReadAllBytes(Path.Combine(corpus, "clap-irot.avif")));
        var sequence = Rendered(File.ReadAllBytes(Path.Combine(corpus, "sequence.avif")));

        Assert.Equal((40, 80), (cropped.Width, cropped.Height));
        Assert.Equal((64, 48), (sequence.Width, sequence.Height));
    }

    /// <summary>Mean absolute difference per colour channel (0–255) between two equal-sized bitmaps, the second optionally turned 180°.</summary>
    private static double MeanDifference(SKBitmap a, SKBitmap b, bool halfTurned)
    {
        double sum = 0;
        for (var y = 0; y < a.Height; y++)
        {
            for (var x = 0; x < a.Width; x++)
            {
                var p = a.GetPixel(x, y);
                var q = halfTurned ? b.GetPixel(b.Width - 1 - x, b.Height - 1 - y) : b.GetPixel(x, y);
                sum += Math.Abs(p.Red - q.Red) + Math.Abs(p.Green - q.Green) + Math.Abs(p.Blue - q.Blue);
            }
        }

        return sum / (3.0 * a.Width * a.Height);
    }

    [Fact]
    public void A_raw_thumbnail_is_its_largest_embedded_preview_turned_by_the_raw_orientation()
    {
        using var picture = FallbackSamples.MarkedCorner(400, 300);
        var preview = PhotoLikeImages.Encode(picture, SKEncodedImageFormat.Jpeg, 90);
        using var green = new SKBitmap(new SKImageInfo(160, 120, SKColorType.Rgba8888, SKAlphaType.Opaque));
        green.Erase(SKColors.Lime);
        var small = PhotoLikeImages.Encode(green, SKEncodedImageFormat.Jpeg, 90);
        var dng = FallbackSamples.Dng(preview, 400, 300, small, orientation: 6);

        var thumbnail = Rendered(dng);

        Assert.Equal(new SKSizeI(400, 300), thumbnail.SourceSize);
        AssertRedCorner(thumbnail, 240, 320, right: true, bottom: false);
    }

    [Fact]
    public void A_raw_without_a_preview_is_unsupported_not_developed()
    {
        var sensor = new byte[4096];
        new Random(3).NextBytes(sensor);
        byte[] cr2 = [.. "II*\0"u8, 16, 0, 0, 0, (byte)'C', (byte)'R', 2, 0, 0, 0, 0, 0, .. sensor];

        var failure = Renderer().Render(cr2).Failure;

        Assert.Equal(FailureClass.Unsupported, failure?.Class);
        Assert.Contains("preview", failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Turned_off_the_fallback_formats_are_unsupported_and_skia_formats_unchanged()
    {
        using var picture = FallbackSamples.MarkedCorner();
        var renderer = Renderer(options: new ThumbnailOptions { FallbackDecoder = false });

        var tiff = renderer.Render(FallbackSamples.Written(picture, MagickFormat.Tiff)).Failure;
        var dng = renderer.Render(FallbackSamples.Dng(PhotoLikeImages.Encode(picture, SKEncodedImageFormat.Jpeg, 90), 80, 60, ImageWriters.Jpeg(16, 12), 1)).Failure;

        Assert.Equal(FailureClass.Unsupported, tiff?.Class);
        Assert.Contains("Thumbnails:FallbackDecoder", tiff!.Message, StringComparison.Ordinal);
        Assert.Equal(FailureClass.Unsupported, dng?.Class);
        Assert.True(renderer.Render(FallbackSamples.Png(picture)).Succeeded);
    }

    [Fact]
    public void Over_the_pixel_limit_a_fallback_format_is_refused_from_its_header_and_holds_nothing()
    {
        using var picture = FallbackSamples.MarkedCorner();
        var tiff = FallbackSamples.Written(picture, MagickFormat.Tiff);
        var renderer = Renderer(new ExtractionOptions { MaxPixels = 1000, WhenBusy = BusyPolicy.Refuse }, budget: tiff.Length);

        var failure = renderer.Render(tiff).Failure;

        Assert.Equal(FailureClass.TooLarge, failure?.Class);
        Assert.Contains("pixels", failure!.Message, StringComparison.Ordinal);
        Assert.Equal(0, renderer.Budget.Held);
    }

    [Fact]
    public void The_decode_is_held_in_the_budget_as_planned_before_it_runs()
    {
        using var picture = FallbackSamples.MarkedCorner(800, 600);
        var tiff = FallbackSamples.Written(picture, MagickFormat.Tiff);

        // Room for the content and the renditions but not for the planned decode: refused as busy, nothing decoded.
        var planned = FallbackDecoder.PlannedBytes(800, 600);
        var renderer = Renderer(new ExtractionOptions { WhenBusy = BusyPolicy.Refuse }, budget: tiff.Length + planned - 1);
        using (renderer.Budget.TryHold(1, wait: false))
        {
            Assert.Equal(FailureClass.Unavailable, renderer.Render(tiff).Failure?.Class);
        }

        Assert.Equal(0, renderer.Budget.Held);
    }

    [SkippableFact]
    public void Truncated_or_damaged_fallback_content_is_corrupt()
    {
        using var picture = FallbackSamples.MarkedCorner();
        var heic = FallbackSamples.Heic(FallbackSamples.Png(picture));
        var tiff = FallbackSamples.Written(picture, MagickFormat.Tiff);
        var renderer = Renderer();

        Assert.Equal(FailureClass.Corrupt, renderer.Render(heic.AsMemory(0, heic.Length / 2)).Failure?.Class);
        Assert.Equal(FailureClass.Corrupt, renderer.Render(tiff.AsMemory(0, 40)).Failure?.Class);
    }

    [SkippableFact]
    public void A_heic_and_its_jpeg_export_are_near_duplicates()
    {
        // The same photo-like picture, shown the same way: a JPEG with EXIF orientation 6, and the HEIC a phone would
        // write of it (irot 3 plus the same EXIF). Both hashes are of the oriented thumbnail pixels.
        using var photo = PhotoLikeImages.Bitmap(21, 800, 600);
        var jpeg = ImageWriters.WithExif(PhotoLikeImages.Encode(photo, SKEncodedImageFormat.Jpeg, 92), new ImageWriters.ExifTags(Orientation: 6));
        var heic = FallbackSamples.WithTransforms(FallbackSamples.Heic(jpeg, ".jpg", quality: 80), irot: 3, imir: null);
        using var other = PhotoLikeImages.Bitmap(22, 800, 600);
        var otherJpeg = ImageWriters.WithExif(PhotoLikeImages.Encode(other, SKEncodedImageFormat.Jpeg, 92), new ImageWriters.ExifTags(Orientation: 6));

        var fromJpeg = Rendered(jpeg);
        var fromHeic = Rendered(heic);

        Assert.Equal((fromJpeg.Width, fromJpeg.Height), (fromHeic.Width, fromHeic.Height));
        Assert.InRange(PerceptualHash.Distance(fromJpeg.PerceptualHash, fromHeic.PerceptualHash), 0, PerceptualHash.NearDuplicateDistance);
        Assert.True(PerceptualHash.Distance(Rendered(otherJpeg).PerceptualHash, fromHeic.PerceptualHash) > PerceptualHash.NearDuplicateDistance, "a different photo is a near-duplicate");
    }
}
