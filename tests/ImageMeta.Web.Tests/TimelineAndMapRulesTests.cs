using System.ComponentModel.DataAnnotations;
using ImageMeta.Contracts;
using ImageMeta.Web.Service;
using ImageMeta.Web.Service.Library;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace ImageMeta.Web.Tests;

/// <summary>
/// The timeline's and the map's rules without a browser: the date a card is placed and labelled by (the store's
/// <c>order=taken</c> rule), the <c>Web:MapTiles</c> validation, and the Content-Security-Policy's tile host.
/// </summary>
public sealed class TimelineAndMapRulesTests
{
    private static ImageRecord Record(string? takenAt, DateTimeOffset? uploaded)
    {
        var blob = new BlobReference("images", "a.jpg", "v1", uploaded, 10);
        return new ImageRecord
        {
            Id = blob.ImageId,
            Blob = blob,
            Status = ImageStatus.Succeeded,
            ProcessedAt = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero),
            Metadata = new ImageMetadata
            {
                Format = ImageFormats.Jpeg,
                MimeType = "image/jpeg",
                Width = 1,
                Height = 1,
                DisplayWidth = 1,
                DisplayHeight = 1,
                FrameCount = 1,
                HasAlpha = false,
                ColorType = "rgb888x",
                Orientation = 1,
                ByteSize = 10,
                Exif = takenAt is null ? null : new ExifMetadata { TakenAt = takenAt },
            },
        };
    }

    [Fact]
    public void A_card_goes_by_its_date_taken_else_its_upload_time_else_when_it_was_processed()
    {
        var taken = TimelineDate.For(Record("2019-07-14T10:22:05+02:00", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero)));
        Assert.Equal(("2019-07-14T10:22:05", true, "2019-07", "14 Jul 2019"), (taken.SortKey, taken.Taken, taken.Month, taken.Label));

        var uploaded = TimelineDate.For(Record(null, new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2))));
        Assert.Equal(("2026-01-02T01:04:05", false, "Uploaded 2 Jan 2026"), (uploaded.SortKey, uploaded.Taken, uploaded.Label));

        Assert.Equal("2026-12-01T09:00:00", TimelineDate.For(Record(null, null)).SortKey);
        Assert.Equal("July 2019", TimelineDate.MonthName("2019-07"));
    }

    [Theory]
    [InlineData("https://tile.openstreetmap.org/{z}/{x}/{y}.png", true)]
    [InlineData("http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png?key=k", true)]
    [InlineData("https://{s}.tile.example.org/{z}/{x}/{y}.png", false)]
    [InlineData("https://tile.example.org/{z}/{x}.png", false)]
    [InlineData("ftp://tile.example.org/{z}/{x}/{y}.png", false)]
    [InlineData("/tiles/{z}/{x}/{y}.png", false)]
    public void The_tile_template_is_an_absolute_http_address_with_a_literal_host_and_every_placeholder(string template, bool valid)
    {
        var options = new MapTilesOptions { UrlTemplate = template };
        Assert.Equal(valid, Validator.TryValidateObject(options, new ValidationContext(options), [], validateAllProperties: true));
        // Off, the template is not used and not checked.
        var off = new MapTilesOptions { Enabled = false, UrlTemplate = template };
        Assert.True(Validator.TryValidateObject(off, new ValidationContext(off), [], validateAllProperties: true));
    }

    [Fact]
    public async Task The_policy_admits_the_tile_origin_only_while_maps_are_on()
    {
        async Task<string> PolicyAsync(MapTilesOptions tiles)
        {
            var context = new DefaultHttpContext();
            await new SecurityHeaders(_ => Task.CompletedTask, string.Empty, Options.Create(tiles)).InvokeAsync(context);
            return context.Response.Headers.ContentSecurityPolicy.ToString();
        }

        Assert.Contains("img-src 'self' data: https://tile.openstreetmap.org;", await PolicyAsync(new MapTilesOptions()), StringComparison.Ordinal);
        Assert.Contains("img-src 'self' data: http://127.0.0.1:8080;", await PolicyAsync(new MapTilesOptions { UrlTemplate = "http://127.0.0.1:8080/{z}/{x}/{y}.png" }), StringComparison.Ordinal);
        Assert.Contains("img-src 'self' data:;", await PolicyAsync(new MapTilesOptions { Enabled = false }), StringComparison.Ordinal);
    }
}
