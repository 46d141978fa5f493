using System.Text;
using System.Text.RegularExpressions;
using ImageMeta.Contracts;
using static Microsoft.Playwright.Assertions;

namespace ImageMeta.Web.Tests;

/// <summary>
/// The Jobs page in Chromium against the real ingest: "Reprocess all failed" starts a job whose progress bar moves
/// and ends complete without a reload, and the failed image it matched is processed again. axe-core in light and
/// dark mode and at 375 px.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class JobsScenarios(BrowserPipelineFixture fixture)
{
    private static readonly TimeSpan Processing = TimeSpan.FromSeconds(90);

    private void SkipUnlessReady() => Skip.If(fixture.SkipReason is not null, fixture.SkipReason);

    [SkippableFact]
    public async Task A_job_started_from_the_jobs_page_is_watched_to_its_end_without_a_reload()
    {
        SkipUnlessReady();
        var upload = await fixture.Client.UploadAsync("j1-notes.txt", Encoding.UTF8.GetBytes("Not an image.\n"));
        var before = (await fixture.Client.WaitForRecordsAsync([upload.Id], Processing))[upload.Id];
        Assert.Equal(ImageStatus.Failed, before.Status);

        await using var session = await BrowserSession.OpenAsync(fixture);
        var page = session.Page;
        await session.GoAsync("/jobs");
        await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Reprocess all failed" }).ClickAsync();
        await Expect(page.Locator("#notice")).ToHaveTextAsync("Started a job that processes every failed image again.");
        // Set after the post's redirect: a reload from here on would lose it.
        await page.EvaluateAsync("() => { window.sameDocument = 'yes'; }");

        var job = page.Locator("#jobs > li.job").First;
        await Expect(job.Locator("h3")).ToHaveTextAsync("Images with status failed");
        await Expect(job).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = (float)Processing.TotalMilliseconds });
        var bar = job.Locator("progress");
        Assert.Equal(await bar.GetAttributeAsync("max"), await bar.GetAttributeAsync("value"));
        await Expect(job.Locator(".job-done")).ToHaveTextAsync(new Regex("^([1-9][0-9]*) of \\1 done$"));
        await Expect(job.Locator("button")).ToHaveCountAsync(0);
        Assert.Equal("yes", await page.EvaluateAsync<string>("() => window.sameDocument"));

        var after = await fixture.Client.GetRecordAsync(upload.Id);
        Assert.True(after?.ProcessedAt > before.ProcessedAt, "The job did not process the failed image again.");
        Assert.Equal(ImageStatus.Failed, after!.Status);
        await session.ScreenshotAsync("55-jobs-page");
        await session.ReadmeScreenshotAsync("jobs");
        await session.AssertAccessibleEverywhereAsync();
        session.AssertNoConsoleErrors();
    }
}
