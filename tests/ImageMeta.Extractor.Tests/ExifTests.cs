using ImageMeta.Contracts;
using ImageMeta.Testing.Images;

namespace ImageMeta.Extractor.Tests;

public sealed class ExifTests
{
    private readonly ImageInspector _inspector = new(new ExtractionOptions());

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, false)]
    [InlineData(4, false)]
    [InlineData(5, true)]
    [InlineData(6, true)]
    [InlineData(7, true)]
    [InlineData(8, true)]
    public void Every_orientation_is_reported_and_5_to_8_swap_the_display_size(int orientation, bool swapped)
    {
        var jpeg = ImageWriters.WithExif(ImageWriters.Jpeg(60, 20), new ImageWriters.ExifTags(Orientation: orientation));

        var m = _inspector.Inspect(jpeg).Value;

        Assert.NotNull(m);
        Assert.Equal(orientation, m.Orientation);
        Assert.Equal((60, 20), (m.Width, m.Height));
        Assert.Equal(swapped ? (20, 60) : (60, 20), (m.DisplayWidth, m.DisplayHeight));
    }

    [Fact]
    public void Camera_exposure_and_time_with_offset_come_out_typed()
    {
        var jpeg = ImageWriters.WithExif(ImageWriters.Jpeg(), new ImageWriters.ExifTags(
            Make: "Canon  ",
            Model: "EOS R5",
            Lens: "RF24-105mm F4 L IS USM",
            DateTimeOriginal: "2024:05:01 14:03:07",
            OffsetTimeOriginal: "+02:00",
            ExposureTime: (1, 250),
            FNumber: (28, 10),
            Iso: 400,
            FocalLength: (50, 1)));

        var exif = _inspector.Inspect(jpeg).Value?.Exif;

        Assert.NotNull(exif);
        Assert.Equal("Canon", exif.CameraMake);
        Assert.Equal("EOS R5", exif.CameraModel);
        Assert.Equal("RF24-105mm F4 L IS USM", exif.LensModel);
        Assert.Equal("2024-05-01T14:03:07+02:00", exif.TakenAt);
        Assert.Equal(0.004, exif.ExposureTime);
        Assert.Equal(2.8, exif.FNumber);
        Assert.Equal(400, exif.Iso);
        Assert.Equal(50, exif.FocalLength);
        Assert.Null(exif.Gps);
    }

    [Fact]
    public void The_photographers_fields_come_out_in_words()
    {
        var jpeg = ImageWriters.WithExif(ImageWriters.Jpeg(), new ImageWriters.ExifTags(
            FocalLength: (66, 10), FocalLength35mm: 28, Flash: 0x19, ExposureProgram: 3, WhiteBalance: 1,
            Artist: " Ansel Adams ", Copyright: "(c) 2024 A. Adams", Software: "Adobe Lightroom 7.2"));

        var exif = _inspector.Inspect(jpeg).Value?.Exif;

        Assert.NotNull(exif);
        Assert.Equal((6.6, 28.0), (exif.FocalLength, exif.FocalLength35mm));
        Assert.Equal(true, exif.FlashFired);
        Assert.Equal(ExposurePrograms.AperturePriority, exif.ExposureProgram);
        Assert.Equal(WhiteBalances.Manual, exif.WhiteBalance);
        Assert.Equal(("Ansel Adams", "(c) 2024 A. Adams", "Adobe Lightroom 7.2"), (exif.Artist, exif.Copyright, exif.Software));
        var noFlash = _inspector.Inspect(ImageWriters.WithExif(ImageWriters.Jpeg(), new ImageWriters.ExifTags(Flash: 0x10, ExposureProgram: 0, WhiteBalance: 0))).Value?.Exif;
        Assert.Equal((false, null, WhiteBalances.Auto), (noFlash?.FlashFired, noFlash?.ExposureProgram, noFlash?.WhiteBalance));
    }

    [Fact]
    public void Taken_at_falls_back_to_the_digitized_date_and_never_to_the_modification_date()
    {
        var modifiedOnly = ImageWriters.WithExif(ImageWriters.Jpeg(), new ImageWriters.ExifTags(Make: "Canon", DateTime: "2025:01:02 03:04:05"));
        var digitized = ImageWriters.WithExif(ImageWriters.Jpeg(), new ImageWriters.ExifTags(
            DateTime: "2025:01:02 03:04:05", DateTimeDigitized: "2019:07:08 09:10:11", OffsetTimeDigitized: "-05:00", OffsetTimeOriginal: "+09:00"));

        Assert.Null(_inspector.Inspect(modifiedOnly).Value?.Exif?.TakenAt);
        Assert.Equal("2019-07-08T09:10:11-05:00", _inspector.Inspect(digitized).Value?.Exif?.TakenAt);
    }

    [Fact]
    public void Time_without_offset_stays_local_and_unzoned()
    {
        var jpeg = ImageWriters.WithExif(ImageWriters.Jpeg(), new ImageWriters.ExifTags(DateTimeOriginal: "2023:12:31 23:59:58"));

        Assert.Equal("2023-12-31T23:59:58", _inspector.Inspect(jpeg).Value?.Exif?.TakenAt);
    }

    [Theory]
    [InlineData(48.8583701, 2.2944813, 35.5)]
    [InlineData(-33.8567844, 151.2152967, -12.25)]
    [InlineData(40.6892494, -74.0445004, null)]
    public void Gps_is_decimal_degrees_with_signs_and_altitude(double latitude, double longitude, double? altitude)
    {
        var jpeg = ImageWriters.WithExif(ImageWriters.Jpeg(), new ImageWriters.ExifTags(Gps: (latitude, longitude, altitude)));

        var gps = _inspector.Inspect(jpeg).Value?.Exif?.Gps;

        Assert.NotNull(gps);
        Assert.Equal(latitude, gps.Latitude, 5);
        Assert.Equal(longitude, gps.Longitude, 5);
        if (altitude is null)
        {
            Assert.Null(gps.Altitude);
        }
        else
        {
            Assert.Equal(altitude.Value, gps.Altitude!.Value, 2);
        }
    }

    [Fact]
    public void An_image_without_exif_has_no_exif_block()
    {
        Assert.Null(_inspector.Inspect(ImageWriters.Png()).Value?.Exif);
    }

    [Fact]
    public void Garbage_in_the_exif_segment_does_not_fail_the_image()
    {
        var jpeg = ImageWriters.Jpeg();
        byte[] junk = [0xFF, 0xE1, 0x00, 0x10, (byte)'E', (byte)'x', (byte)'i', (byte)'f', 0, 0, (byte)'M', (byte)'M', 0, 42, 0xFF, 0xFF, 0xFF, 0xFF];
        byte[] damaged = [.. jpeg.AsSpan(0, 2), .. junk, .. jpeg.AsSpan(2)];

        var result = _inspector.Inspect(damaged);

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal(ImageFormats.Jpeg, result.Value.Format);
    }
}
