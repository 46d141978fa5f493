using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr.Pipeline;
using ImageMeta.Testing.Images;
using ImageMeta.Web.Service.Library;
using Microsoft.Playwright;
using SkiaSharp;
using static Microsoft.Playwright.Assertions;

namespace ImageMeta.Web.Tests;

/// <summary>
/// The detail page written for people, in Chromium: one summary line (the camera without its maker twice, the lens,
/// the exposure line, the date with its zone), the photographer's fields, the technical facts folded under
/// "Technical" with words for orientation and colour type and the extractor's version, a download of the original,
/// and a copied link.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class DetailScenarios(BrowserPipelineFixture fixture)
{
    private static readonly TimeSpan Processing = TimeSpan.FromSeconds(90);

    private void SkipUnlessReady() => Skip.If(fixture.SkipReason is not null, fixture.SkipReason);

    [SkippableFact]
    public async Task The_detail_page_reads_as_a_photo_with_the_technical_facts_folded_away()
    {
        SkipUnlessReady();
        var jpeg = ImageWriters.WithExif(TestImages.Encode(300, 200, SKColors.CadetBlue, SKEncodedImageFormat.Jpeg, 85), new ImageWriters.ExifTags(
            Orientation: 6, Make: "Canon", Model: "Canon EOS 40D", Lens: "EF 35mm f/2", DateTimeOriginal: "2023:08:19 18:04:05", OffsetTimeOriginal: "+02:00",
            ExposureTime: (1, 250), FNumber: (28, 10), Iso: 400, FocalLength: (35, 1), FocalLength35mm: 56, Flash: 1, ExposureProgram: 3, WhiteBalance: 0,
            Artist: "A. Photographer", Copyright: "CC BY 4.0", Software: "Darktable 4.6"));
        var upload = await fixture.Client.UploadAsync("d1-people.jpg", jpeg);
        var record = (await fixture.Client.WaitForRecordsAsync([upload.Id], Processing))[upload.Id];
        Assert.Equal(ImageStatus.Succeeded, record.Status);

        await using var session = await BrowserSession.OpenAsync(fixture);
        var page = session.Page;
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await session.GoAsync($"/images/{upload.Id}");

        await Expect(page.Locator("#summary-line")).ToHaveTextAsync("Canon EOS 40D · EF 35mm f/2 · 1/250 s · f/2.8 · ISO 400 · 35 mm · 2023-08-19 18:04:05, UTC+02:00");
        await Expect(page.Locator("#camera-value")).ToHaveTextAsync("Canon EOS 40D");
        await Expect(page.Locator("#equivalent-value")).ToHaveTextAsync("56 mm");
        await Expect(page.Locator("#flash-value")).ToHaveTextAsync("fired");
        await Expect(page.Locator("#program-value")).ToHaveTextAsync("aperture priority");
        await Expect(page.Locator("#white-balance-value")).ToHaveTextAsync("automatic");
        await Expect(page.Locator("#artist-value")).ToHaveTextAsync("A. Photographer");
        await Expect(page.Locator("#copyright-value")).ToHaveTextAsync("CC BY 4.0");
        await Expect(page.Locator("#software-value")).ToHaveTextAsync("Darktable 4.6");
        // Turned 90°: the pixels are shown 200 × 300.
        await Expect(page.Locator("#facts")).ToContainTextAsync("200 × 300 (stored as 300 × 200)");

        // The developer's facts are there, folded under "Technical", in words.
        var technical = page.Locator("#technical");
        await Expect(page.Locator("#orientation")).ToBeHiddenAsync();
        await technical.Locator("summary").ClickAsync();
        await Expect(page.Locator("#orientation")).ToHaveTextAsync("turned 90° clockwise (EXIF 6)");
        await Expect(page.Locator("#color-type")).ToHaveTextAsync(PhotoWords.ColorType(record.Metadata!.ColorType));
        Assert.NotEqual(record.Metadata.ColorType, await page.Locator("#color-type").InnerTextAsync());
        await Expect(page.Locator("#extractor-version")).ToContainTextAsync($"version {record.ExtractorVersion}");
        await Expect(technical).ToContainTextAsync(record.Metadata.Sha256!);

        // The original as a download, whatever the browser could show.
        var download = page.GetByRole(AriaRole.Link, new() { Name = "Download the original (d1-people.jpg)" });
        await Expect(download).ToHaveAttributeAsync("download", "d1-people.jpg");
        var saved = await page.RunAndWaitForDownloadAsync(() => download.ClickAsync());
        Assert.Equal("d1-people.jpg", saved.SuggestedFilename);

        await page.GetByRole(AriaRole.Button, new() { Name = "Copy link" }).ClickAsync();
        await Expect(page.Locator("#copy-result")).ToHaveTextAsync("Link copied.");
        Assert.Equal(new Uri(session.Origin, $"/images/{upload.Id}").ToString(), await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        await session.ScreenshotAsync("40-detail-for-people");
        await session.AssertAccessibleEverywhereAsync();
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public void The_camera_name_keeps_the_maker_once_and_words_cover_each_orientation()
    {
        Assert.Equal("Canon EOS 40D", PhotoWords.Camera("Canon", "Canon EOS 40D"));
        Assert.Equal("NIKON D750", PhotoWords.Camera("NIKON CORPORATION", "NIKON D750"));
        Assert.Equal("FUJIFILM X-T4", PhotoWords.Camera("FUJIFILM", "X-T4"));
        Assert.Equal("X-T4", PhotoWords.Camera(null, "X-T4"));
        Assert.Null(PhotoWords.Camera(" ", null));
        Assert.Equal("2024-05-01 14:03:07, camera's local time (no zone recorded)", PhotoWords.Taken("2024-05-01T14:03:07"));
        Assert.Equal("2024-05-01 14:03:07, UTC", PhotoWords.Taken("2024-05-01T14:03:07Z"));
        Assert.Equal(8, Enumerable.Range(1, 8).Select(PhotoWords.Orientation).Distinct().Count());
        Assert.Null(PhotoWords.Exposure(new ExifMetadata()));
        Assert.Equal("8 bits a channel, colour (bgra8888)", PhotoWords.ColorType("bgra8888"));
    }
}
