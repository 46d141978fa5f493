using System.Text;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr.Pipeline;
using ImageMeta.Testing.Images;
using ImageMeta.Web.Service;
using ImageMeta.Web.Service.Pages;
using Microsoft.Playwright;
using SkiaSharp;
using static Microsoft.Playwright.Assertions;

namespace ImageMeta.Web.Tests;

/// <summary>
/// A person using the page in Chromium, against the real services on sidecar doubles: upload, watch, filter, open,
/// follow, keyboard only, a phone, outages. Each scenario saves screenshots, checks the page with axe-core and fails
/// on console errors of the web app's pages.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class WebScenarios(BrowserPipelineFixture fixture)
{
    private static readonly TimeSpan Processing = TimeSpan.FromSeconds(90);

    private static LocatorAssertionsToHaveCountOptions Within(TimeSpan timeout) => new() { Timeout = (float)timeout.TotalMilliseconds };

    private void SkipUnlessReady() => Skip.If(fixture.SkipReason is not null, fixture.SkipReason);

    private static FilePayload Png(string name, int width, int height, SKColor color) =>
        new() { Name = name, MimeType = "image/png", Buffer = TestImages.Encode(width, height, color, SKEncodedImageFormat.Png, 100) };

    private static FilePayload Jpeg(string name, int width, int height, SKColor color, ImageWriters.ExifTags exif) =>
        new() { Name = name, MimeType = "image/jpeg", Buffer = ImageWriters.WithExif(TestImages.Encode(width, height, color, SKEncodedImageFormat.Jpeg, 85), exif) };

    [SkippableFact]
    public async Task Three_good_images_and_one_bad_reach_stored_and_failed_and_names_stay_text()
    {
        SkipUnlessReady();
        await using var session = await BrowserSession.OpenAsync(fixture);
        var dialogs = new List<string>();
        session.Page.Dialog += (_, d) => dialogs.Add(d.Message);
        await session.GoAsync("/");
        await Expect(session.Page.Locator("#open-notice")).ToContainTextAsync("sign-in is not configured");
        await session.AssertAccessibleAsync();

        const string Hostile = "<img src=x onerror=alert(1)>.png";
        await session.Page.Locator("#file-input").SetInputFilesAsync(
        [
            Png("s1-blue.png", 200, 120, SKColors.CornflowerBlue),
            Jpeg("s1-camera.jpg", 160, 120, SKColors.OrangeRed, new ImageWriters.ExifTags(Make: "ImageMeta", Model: "Scenario One")),
            Png(Hostile, 64, 64, SKColors.SeaGreen),
            new FilePayload { Name = "s1-notes.txt", MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes("These are notes, not an image.\n") },
        ]);

        var list = session.Page.Locator("#upload-list > li");
        await Expect(list).ToHaveCountAsync(4);
        await Expect(session.Page.Locator("#upload-list > li[data-stage=stored]")).ToHaveCountAsync(3, Within(Processing));
        await Expect(session.Page.Locator("#upload-list > li[data-stage=failed]")).ToHaveCountAsync(1, Within(Processing));
        var failed = session.Page.Locator("#upload-list > li[data-stage=failed]");
        await Expect(failed).ToHaveAttributeAsync("data-class", FailureClass.Unsupported);
        await Expect(failed).ToContainTextAsync("s1-notes.txt");
        await Expect(failed.Locator(".stage")).ToContainTextAsync("not an image format");

        // The hostile name is shown as text: no element came from it, no script ran.
        await Expect(session.Page.Locator("#upload-list .file-name", new() { HasText = Hostile })).ToHaveCountAsync(1);
        Assert.Equal(0, await session.Page.Locator("#upload-list img").CountAsync());
        await session.ScreenshotAsync("01-upload-stored-and-failed");
        await session.AssertAccessibleAsync();

        // The gallery shows all four, the failed one with its class, the hostile name as text.
        await session.GoAsync("/");
        await Expect(session.Page.Locator("#gallery .card", new() { HasText = "s1-notes.txt" }).Locator(".badge-failed")).ToContainTextAsync("failed: unsupported");
        await Expect(session.Page.Locator("#gallery .card-name", new() { HasText = Hostile })).ToHaveCountAsync(1);
        await Expect(session.Page.Locator("#stats")).ToContainTextAsync("failed:");
        await session.ScreenshotAsync("02-gallery-after-upload");
        await session.AssertAccessibleAsync();
        Assert.Empty(dialogs);
        session.AssertNoConsoleErrors();
    }

    [SkippableFact]
    public async Task Filters_narrow_the_gallery_to_what_the_store_query_returns()
    {
        SkipUnlessReady();
        var wide = await fixture.Client.UploadAsync("f2-wide.png", TestImages.Encode(420, 200, SKColors.Goldenrod, SKEncodedImageFormat.Png, 100));
        var narrow = await fixture.Client.UploadAsync("f2-narrow.png", TestImages.Encode(40, 30, SKColors.Gold, SKEncodedImageFormat.Png, 100));
        var camera = await fixture.Client.UploadAsync("f2-camera.jpg", ImageWriters.WithExif(
            TestImages.Encode(300, 200, SKColors.Teal, SKEncodedImageFormat.Jpeg, 85), new ImageWriters.ExifTags(Make: "FilterCam", Model: "F2")));
        var records = await fixture.Client.WaitForRecordsAsync([wide.Id, narrow.Id, camera.Id], Processing);
        Assert.Equal(3, records.Count);

        await using var session = await BrowserSession.OpenAsync(fixture);
        await session.GoAsync("/");
        await session.Page.GetByLabel("Camera make or model").FillAsync("filtercam");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(session.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("camera=filtercam"));
        await Expect(session.Page.Locator("#gallery .card")).ToHaveCountAsync(1);
        await Expect(session.Page.Locator("#gallery .card-name")).ToHaveTextAsync("f2-camera.jpg");
        await session.ScreenshotAsync("03-filter-camera");

        await session.GoAsync("/");
        await session.Page.GetByLabel("Format").SelectOptionAsync("png");
        await session.Page.GetByLabel("Minimum width (pixels)").FillAsync("400");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        var cards = session.Page.Locator("#gallery .card");
        await Expect(cards.Filter(new() { HasText = "f2-wide.png" })).ToHaveCountAsync(1);
        Assert.Equal(0, await cards.Filter(new() { HasText = "f2-narrow.png" }).CountAsync());
        foreach (var badge in await session.Page.Locator("#gallery .card .badge").AllInnerTextsAsync())
        {
            Assert.StartsWith("PNG", badge, StringComparison.Ordinal);
        }

        await Expect(session.Page.GetByLabel("Format")).ToHaveValueAsync("png");
        await session.ScreenshotAsync("04-filter-format-width");
        await session.AssertAccessibleAsync();
        session.AssertNoConsoleErrors();
    }

    [SkippableFact]
    public async Task Has_gps_filter_shows_only_the_images_with_or_without_a_position()
    {
        SkipUnlessReady();
        // Both from one camera, so that the camera filter leaves exactly these two of everything the suite uploads.
        var located = await fixture.Client.UploadAsync("g3-located.jpg", ImageWriters.WithExif(
            TestImages.Encode(200, 150, SKColors.ForestGreen, SKEncodedImageFormat.Jpeg, 85), new ImageWriters.ExifTags(Make: "GeoTagger", Model: "G3", Gps: (59.3293, 18.0686, 20.0))));
        var unlocated = await fixture.Client.UploadAsync("g3-unlocated.jpg", ImageWriters.WithExif(
            TestImages.Encode(200, 150, SKColors.Firebrick, SKEncodedImageFormat.Jpeg, 85), new ImageWriters.ExifTags(Make: "GeoTagger", Model: "G3")));
        var records = await fixture.Client.WaitForRecordsAsync([located.Id, unlocated.Id], Processing);
        Assert.Equal(2, records.Count);
        Assert.NotNull(records[located.Id].Metadata?.Exif?.Gps);
        Assert.Null(records[unlocated.Id].Metadata?.Exif?.Gps);

        await using var session = await BrowserSession.OpenAsync(fixture);
        await session.GoAsync("/");
        var cards = session.Page.Locator("#gallery .card-name");
        foreach (var (choice, label, expected) in new[] { ("true", "with GPS", "g3-located.jpg"), ("false", "without GPS", "g3-unlocated.jpg") })
        {
            await session.Page.GetByLabel("Camera make or model").FillAsync("geotagger");
            await session.Page.GetByLabel("Has GPS").SelectOptionAsync(new SelectOptionValue { Label = label });
            await session.Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
            await Expect(session.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"hasGps={choice}"));
            await Expect(cards).ToHaveTextAsync([expected]);
            await Expect(session.Page.GetByLabel("Has GPS")).ToHaveValueAsync(choice);
            await session.ScreenshotAsync($"04b-filter-gps-{choice}");
            await session.AssertAccessibleAsync();
        }

        // "any" drops the filter: both show again.
        await session.Page.GetByLabel("Has GPS").SelectOptionAsync(new SelectOptionValue { Label = "any" });
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(cards).ToHaveCountAsync(2);
        session.AssertNoConsoleErrors();
    }

    [SkippableFact]
    public async Task Detail_links_the_original_and_the_link_serves_the_uploaded_bytes()
    {
        SkipUnlessReady();
        var photo = ImageWriters.WithExif(TestImages.Encode(260, 180, SKColors.DarkCyan, SKEncodedImageFormat.Jpeg, 90), new ImageWriters.ExifTags(Make: "OriginalCam"));
        var notes = Encoding.UTF8.GetBytes("Shopping list: not an image.\n");
        var image = await fixture.Client.UploadAsync("o5-photo été.jpg", photo);
        var text = await fixture.Client.UploadAsync("o5-notes.txt", notes);
        Assert.Equal(2, (await fixture.Client.WaitForRecordsAsync([image.Id, text.Id], Processing)).Count);

        await using var session = await BrowserSession.OpenAsync(fixture);
        foreach (var (id, bytes, linkText, type, disposition) in new[]
        {
            (image.Id, photo, "Open the original (o5-photo été.jpg)", "image/jpeg", "inline"),
            (text.Id, notes, "Download the original (o5-notes.txt)", "application/octet-stream", "attachment"),
        })
        {
            await session.GoAsync($"/images/{id}");
            var link = session.Page.GetByRole(AriaRole.Link, new() { Name = linkText, Exact = true });
            await Expect(link).ToHaveAttributeAsync("href", $"/originals/{id}");
            await session.AssertAccessibleAsync();

            // The page's own request context: the session's cookies, as a click would send them.
            var answer = await session.Page.APIRequest.GetAsync(new Uri(session.Origin, await link.GetAttributeAsync("href")).ToString());
            Assert.Equal(200, answer.Status);
            Assert.Equal(bytes, await answer.BodyAsync());
            Assert.StartsWith(type, answer.Headers["content-type"], StringComparison.Ordinal);
            Assert.StartsWith(disposition, answer.Headers["content-disposition"], StringComparison.Ordinal);
            Assert.Contains("filename*=UTF-8''" + Uri.EscapeDataString(linkText[(linkText.IndexOf('(') + 1)..^1]), answer.Headers["content-disposition"], StringComparison.Ordinal);
            Assert.Equal("nosniff", answer.Headers["x-content-type-options"]);
            Assert.Equal(OriginalsApi.OriginalPolicy, answer.Headers["content-security-policy"]);
        }

        // An unknown image's original is the error page's sentence, not a stack trace.
        var missing = await session.GoAsync($"/originals/{new string('0', ImageId.Length)}");
        Assert.Equal(404, missing!.Status);
        await Expect(session.Page.Locator("#error-sentence")).ToBeVisibleAsync();
        session.AssertNoConsoleErrors("status of 404");

        // Following the link shows the image itself, decoded at its size.
        await session.GoAsync($"/images/{image.Id}");
        await session.Page.GetByRole(AriaRole.Link, new() { Name = "Open the original (o5-photo été.jpg)" }).ClickAsync();
        await Expect(session.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/originals/{image.Id}$"));
        Assert.Equal(260, await session.Page.Locator("img").EvaluateAsync<int>("img => img.decode().then(() => img.naturalWidth)"));
        await session.ScreenshotAsync("06b-original-opened");
        // Chromium's own image viewer styles its document inline, which the original's CSP (no styles at all) refuses:
        // those messages, of that document only, are expected.
        session.AssertNoConsoleErrors("status of 404", $"page {session.Origin}originals/{image.Id}");
    }

    [SkippableFact]
    public async Task Load_more_appends_the_next_keyset_page_without_repeating_images()
    {
        SkipUnlessReady();
        var uploads = new List<UploadResult>();
        for (var i = 0; i < 8; i++)
        {
            uploads.Add(await fixture.Client.UploadAsync($"p3-{i}.png", TestImages.Encode(30 + i, 20, SKColors.SlateGray, SKEncodedImageFormat.Png, 100)));
        }

        Assert.Equal(8, (await fixture.Client.WaitForRecordsAsync([.. uploads.Select(u => u.Id)], Processing)).Count);
        await using var session = await BrowserSession.OpenAsync(fixture);
        await session.GoAsync("/?format=png");
        var cards = session.Page.Locator("#gallery > li.card");
        await Expect(cards).ToHaveCountAsync(6);
        var first = await session.Page.Locator("#gallery > li.card").EvaluateAllAsync<string[]>("cards => cards.map(c => c.dataset.id)");

        // A new image arriving meanwhile must not shift the next page.
        var late = await fixture.Client.UploadAsync("p3-late.png", TestImages.Encode(77, 20, SKColors.SlateGray, SKEncodedImageFormat.Png, 100));
        await fixture.Client.WaitForRecordsAsync([late.Id], Processing);
        await session.Page.GetByRole(AriaRole.Link, new() { Name = "Load older images" }).ClickAsync();
        await Expect(cards).Not.ToHaveCountAsync(6);
        var all = await session.Page.Locator("#gallery > li.card").EvaluateAllAsync<string[]>("cards => cards.map(c => c.dataset.id)");
        Assert.Equal(first, all[..6]);
        Assert.Equal(all.Length, all.Distinct().Count());
        Assert.DoesNotContain(late.Id.ToString(), all);
        await session.ScreenshotAsync("05-load-more");
        session.AssertNoConsoleErrors();
    }

    [SkippableFact]
    public async Task Detail_shows_metadata_in_human_units_gps_workflow_and_the_uploads_trace()
    {
        SkipUnlessReady();
        await using var session = await BrowserSession.OpenAsync(fixture);
        await session.GoAsync("/");
        await session.Page.Locator("#file-input").SetInputFilesAsync(Jpeg("d4-holiday.jpg", 320, 240, SKColors.SkyBlue, new ImageWriters.ExifTags(
            Make: "DetailCam", Model: "D4", ExposureTime: (1, 250), FNumber: (28, 10), Iso: 200, FocalLength: (35, 1),
            DateTimeOriginal: "2024:05:11 14:30:00", Gps: (48.8584, 2.2945, 35.0))));
        var entry = session.Page.Locator("#upload-list > li[data-stage=stored]");
        await Expect(entry).ToHaveCountAsync(1, Within(Processing));
        await entry.GetByRole(AriaRole.Link).ClickAsync();

        await Expect(session.Page.Locator("#image-name")).ToHaveTextAsync("d4-holiday.jpg");
        var facts = session.Page.Locator("#facts");
        await Expect(facts).ToContainTextAsync("DetailCam D4");
        await Expect(facts).ToContainTextAsync("1/250 s");
        await Expect(facts).ToContainTextAsync("f/2.8");
        await Expect(facts).ToContainTextAsync("35 mm");
        await Expect(facts).ToContainTextAsync("2024-05-11 14:30:00");
        await Expect(facts).ToContainTextAsync("320 × 240");
        await Expect(session.Page.Locator("#file-size")).ToContainTextAsync("KiB");
        await Expect(session.Page.Locator("#workflow-status")).ToContainTextAsync("completed");
        var osm = session.Page.Locator("#gps a");
        await Expect(osm).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex(@"^https://www\.openstreetmap\.org/\?mlat=48\.858400&mlon=2\.294500"));

        // The trace id is the upload's real trace: ingest's spans carry it, and the link points at the Zipkin UI. It sits
        // with the other technical facts, folded until asked for.
        await session.Page.Locator("#technical > summary").ClickAsync();
        var trace = session.Page.Locator("#trace a");
        var traceId = (await trace.InnerTextAsync()).Trim();
        Assert.Matches("^[0-9a-f]{32}$", traceId);
        await Expect(trace).ToHaveAttributeAsync("href", $"http://localhost:9411/zipkin/traces/{traceId}");
        Assert.Contains(fixture.Pipeline.Zipkin!.Trace(traceId), s => s.ServiceName == DaprTopology.AppIds.Ingest);

        await session.ScreenshotAsync("06-detail");
        await session.AssertAccessibleAsync();
        session.AssertNoConsoleErrors();
    }

    [SkippableFact]
    public async Task Detail_similar_strip_leads_to_a_similar_image()
    {
        SkipUnlessReady();
        var original = TestImages.Encode(240, 160, SKColors.MediumPurple, SKEncodedImageFormat.Png, 100);
        var a = await fixture.Client.UploadAsync("s5-original.png", original);
        var b = await fixture.Client.UploadAsync("s5-copy.jpg", TestImages.Encode(240, 160, SKColors.MediumPurple, SKEncodedImageFormat.Jpeg, 70));
        Assert.Equal(2, (await fixture.Client.WaitForRecordsAsync([a.Id, b.Id], Processing)).Count);

        await using var session = await BrowserSession.OpenAsync(fixture);
        await session.GoAsync($"/images/{a.Id}");
        await Expect(session.Page.Locator("#similar-heading")).ToBeVisibleAsync();
        var strip = session.Page.Locator("#similar .card-link");
        var none = session.Page.Locator("#similar-none");
        Skip.If(await none.CountAsync() > 0 && (await none.InnerTextAsync()).Contains("does not offer", StringComparison.Ordinal),
            "This store has no similar search (GET /images/{id}/similar comes with #13).");
        await Expect(strip.Filter(new() { HasText = "s5-copy.jpg" })).ToHaveCountAsync(1);

        await session.ScreenshotAsync("07-similar-strip");
        await strip.Filter(new() { HasText = "s5-copy.jpg" }).ClickAsync();
        await Expect(session.Page.Locator("#image-name")).ToHaveTextAsync("s5-copy.jpg");
        await Expect(session.Page.Locator("#detail-thumbnail")).ToBeVisibleAsync();
        await session.AssertAccessibleAsync();
        session.AssertNoConsoleErrors();
    }

    [SkippableFact]
    public async Task Keyboard_alone_uploads_a_file_and_opens_its_detail()
    {
        SkipUnlessReady();
        await using var session = await BrowserSession.OpenAsync(fixture);

        // Playwright turns chooser interception on with a message it does not wait for; subscribing
        // only around the key press let the press overtake it on a loaded machine (the chooser then
        // opened natively and was never seen). Subscribing before navigation leaves no such race.
        var chooserShown = new TaskCompletionSource<IFileChooser>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChooser(object? sender, IFileChooser shown) => chooserShown.TrySetResult(shown);
        session.Page.FileChooser += OnChooser;
        await session.GoAsync("/");
        await BrowserChecks.TabUntilAsync(session.Page, "document.activeElement && document.activeElement.id === 'file-input'");
        await session.Page.Keyboard.PressAsync("Space");
        var chooser = await chooserShown.Task.WaitAsync(TimeSpan.FromSeconds(30));
        session.Page.FileChooser -= OnChooser;
        await chooser.SetFilesAsync(Png("k6-keyboard.png", 90, 60, SKColors.Crimson));
        await Expect(session.Page.Locator("#upload-list > li[data-stage=stored]")).ToHaveCountAsync(1, Within(Processing));

        await BrowserChecks.TabUntilAsync(session.Page, "document.activeElement && document.activeElement.textContent === 'Details of k6-keyboard.png'");
        await session.ScreenshotAsync("08-keyboard-focus-on-detail-link");
        await session.Page.Keyboard.PressAsync("Enter");
        await Expect(session.Page.Locator("#image-name")).ToHaveTextAsync("k6-keyboard.png");
        session.AssertNoConsoleErrors();
    }

    [SkippableFact]
    public async Task Phone_width_shows_upload_gallery_and_detail_without_sideways_scrolling()
    {
        SkipUnlessReady();
        var upload = await fixture.Client.UploadAsync("m7-phone-with-a-rather-long-file-name-that-must-wrap-somewhere.png", TestImages.Encode(500, 300, SKColors.DarkOrange, SKEncodedImageFormat.Png, 100));
        await fixture.Client.WaitForRecordsAsync([upload.Id], Processing);
        await using var session = await BrowserSession.OpenAsync(fixture, viewport: new ViewportSize { Width = 375, Height = 740 });

        await session.GoAsync("/");
        await Expect(session.Page.GetByLabel(new System.Text.RegularExpressions.Regex("Choose images to upload"))).ToBeVisibleAsync();
        await Expect(session.Page.Locator("#gallery")).ToBeVisibleAsync();
        Assert.True(await FitsWidthAsync(session.Page), "The gallery page scrolls sideways at 375 px.");
        await session.ScreenshotAsync("09-phone-gallery");
        await session.AssertAccessibleAsync();

        await session.GoAsync($"/images/{upload.Id}");
        await Expect(session.Page.Locator("#facts")).ToBeVisibleAsync();
        Assert.True(await FitsWidthAsync(session.Page), "The detail page scrolls sideways at 375 px.");
        await session.ScreenshotAsync("10-phone-detail");
        await session.AssertAccessibleAsync();
        session.AssertNoConsoleErrors();
    }

    [SkippableFact]
    public async Task A_file_over_the_limit_is_refused_in_the_page_with_the_limit_named_and_never_sent()
    {
        SkipUnlessReady();
        await using var session = await BrowserSession.OpenAsync(fixture);
        var sent = 0;
        session.Page.Request += (_, request) =>
        {
            if (request.Url.Contains("/api/uploads", StringComparison.Ordinal) && request.Method == "POST")
            {
                Interlocked.Increment(ref sent);
            }
        };
        await session.GoAsync("/");
        await session.Page.Locator("#file-input").SetInputFilesAsync(new FilePayload
        {
            Name = "o8-huge.png",
            MimeType = "image/png",
            Buffer = new byte[BrowserPipelineFixture.UploadLimitBytes + 1],
        });
        var entry = session.Page.Locator("#upload-list > li");
        await Expect(entry).ToHaveAttributeAsync("data-stage", "refused");
        await Expect(entry).ToContainTextAsync("the limit is 2 MiB");
        Assert.Equal(0, Volatile.Read(ref sent));
        await session.ScreenshotAsync("11-over-the-limit");
        session.AssertNoConsoleErrors();
    }

    [SkippableFact]
    public async Task Ingest_down_the_upload_says_so_in_a_sentence_and_the_gallery_still_works()
    {
        SkipUnlessReady();
        await fixture.Pipeline.Ingest.KillAsync();
        try
        {
            await using var session = await BrowserSession.OpenAsync(fixture);
            await session.GoAsync("/");
            await session.Page.Locator("#file-input").SetInputFilesAsync(Png("i9-while-ingest-is-down.png", 50, 50, SKColors.Navy));
            await Expect(session.Page.Locator("#upload-problem")).ToHaveTextAsync(UploadsApi.IngestDownSentence);
            await Expect(session.Page.Locator("#upload-list > li")).ToHaveAttributeAsync("data-stage", "refused");
            await Expect(session.Page.Locator("#gallery-heading")).ToBeVisibleAsync();
            Assert.Equal(0, await session.Page.Locator("#gallery-problem").CountAsync());
            await session.ScreenshotAsync("12-ingest-down");
            await session.AssertAccessibleAsync();
            // The browser reports the API's 503 answer itself; it is the one error this scenario expects.
            session.AssertNoConsoleErrors("status of 503");
        }
        finally
        {
            await fixture.Pipeline.Ingest.StartAsync(TimeSpan.FromSeconds(60));
            await fixture.Pipeline.Workflows.WaitForWorkerAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        }
    }

    [SkippableFact]
    public async Task Store_down_the_gallery_says_so_in_a_sentence_and_the_upload_box_stays()
    {
        SkipUnlessReady();
        await fixture.Pipeline.Store.KillAsync();
        try
        {
            await using var session = await BrowserSession.OpenAsync(fixture);
            var response = await session.GoAsync("/");
            Assert.Equal(200, response!.Status);
            await Expect(session.Page.Locator("#gallery-problem")).ToHaveTextAsync(IndexModel.StoreDownSentence);
            await Expect(session.Page.GetByLabel(new System.Text.RegularExpressions.Regex("Choose images to upload"))).ToBeEnabledAsync();
            await session.ScreenshotAsync("13-store-down");
            await session.AssertAccessibleAsync();
            session.AssertNoConsoleErrors();
        }
        finally
        {
            await fixture.Pipeline.Store.StartAsync(TimeSpan.FromSeconds(60));
        }
    }

    [SkippableFact]
    public async Task Pages_carry_the_security_headers_and_an_upload_without_the_antiforgery_token_is_refused()
    {
        SkipUnlessReady();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false });
        using var page = await http.GetAsync(fixture.WebAddress);
        Assert.Equal(System.Net.HttpStatusCode.OK, page.StatusCode);
        var csp = string.Join(' ', page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(page.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", Assert.Single(page.Headers.GetValues("X-Frame-Options")));

        using var form = new MultipartFormDataContent { { new ByteArrayContent(TestImages.Encode(10, 10, SKColors.Red, SKEncodedImageFormat.Png, 100)), "file", "csrf.png" } };
        using var refused = await http.PostAsync(new Uri(fixture.WebAddress, "api/uploads"), form);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("upload token", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var stored = await fixture.Client.QueryAsync("limit=500");
        Assert.DoesNotContain(stored.RootElement.GetProperty("items").EnumerateArray(), i => i.GetProperty("blob").GetProperty("name").GetString() == "csrf.png");
    }

    private static Task<bool> FitsWidthAsync(IPage page) =>
        page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth");
}
