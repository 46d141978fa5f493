using System.Diagnostics;
using ImageMeta.Contracts;

namespace ImageMeta.Extractor.Tests;

/// <summary>
/// PNG verification inflates the image data row by row: a PNG that declares a huge canvas and is cut
/// short is found corrupt without a frame-sized buffer, and a PNG whose rows are all there verifies.
/// </summary>
public sealed class PngVerificationTests
{
    private readonly ImageInspector _inspector = new(new ExtractionOptions());

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_png_with_every_row_verifies(bool interlaced)
    {
        var png = HostileImages.TruncatedPng(301, 203, keepBytes: int.MaxValue, interlaced);

        var result = _inspector.Inspect(png, verify: true);

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal((301, 203, true), (result.Value.Width, result.Value.Height, result.Value.Verified));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_png_cut_inside_its_image_data_is_corrupt(bool interlaced)
    {
        var whole = HostileImages.TruncatedPng(301, 203, keepBytes: int.MaxValue, interlaced);
        var cut = HostileImages.TruncatedPng(301, 203, keepBytes: (whole.Length - 40) / 2, interlaced);

        var result = _inspector.Inspect(cut);

        Assert.Equal(FailureClass.Corrupt, result.Failure?.Class);
        Assert.Contains("ends before the last row", result.Failure?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_row_with_an_unknown_filter_type_is_corrupt()
    {
        var png = HostileImages.TruncatedPng(50, 40, keepBytes: int.MaxValue, interlaced: false, filter: 7);

        var result = _inspector.Inspect(png, verify: true);

        Assert.Equal(FailureClass.Corrupt, result.Failure?.Class);
        Assert.Contains("filter type 7", result.Failure?.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_truncated_png_declaring_ten_thousand_squared_is_corrupt_without_a_frame_buffer(bool interlaced)
    {
        var hostile = HostileImages.TruncatedPng(10_000, 10_000, keepBytes: 145 * 1024, interlaced);
        GC.Collect();
        var before = Process.GetCurrentProcess().WorkingSet64;

        var result = _inspector.Inspect(hostile);

        var grown = Process.GetCurrentProcess().WorkingSet64 - before;
        Assert.Equal(FailureClass.Corrupt, result.Failure?.Class);
        Assert.True(grown < 64L << 20, $"working set grew by {grown} bytes (a decoded frame is {4L * 10_000 * 10_000})");
        Assert.Equal(0, _inspector.Budget.Held);
    }
}
