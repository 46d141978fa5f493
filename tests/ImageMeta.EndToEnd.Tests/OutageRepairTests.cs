using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr.Pipeline;
using Xunit.Abstractions;
using static ImageMeta.Testing.Polling;

namespace ImageMeta.EndToEnd.Tests;

/// <summary>
/// The pipeline on SQLite with retries far shorter than the outages below (2 attempts, 1 s apart) and a repair
/// loop that tries again after 1 s, doubling to 2 s: an outage then outlasts every workflow's retries within
/// seconds, and only the sweep's repair loop can bring the images back.
/// </summary>
public sealed class ShortRetryPipelineFixture : PipelineFixture
{
    protected override MetadataDatabase Database => MetadataDatabase.Sqlite;

    protected override IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Environment { get; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["ingest"] = new Dictionary<string, string>
            {
                ["Ingest__RetryMaxAttempts"] = "2",
                ["Ingest__RetryFirstInterval"] = "00:00:01",
                ["Ingest__RetryMaxInterval"] = "00:00:01",
                ["Ingest__RepairFirstInterval"] = "00:00:01",
                ["Ingest__RepairMaxInterval"] = "00:00:02",
            },
        };
}

/// <summary>
/// Outages longer than the activity retries: every image uploaded during one still ends as exactly one record, with
/// no step but the sweep's cron ticks, which daprd's cron binding delivers on its own (here every 2 s).
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class OutageRepairTests(ShortRetryPipelineFixture fixture, ITestOutputHelper output) : IClassFixture<ShortRetryPipelineFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(3);

    private SidecarDoublePipeline Pipeline => fixture.Pipeline;

    [SkippableFact]
    public async Task Store_stopped_past_the_retries_while_20_images_are_uploaded_ends_with_20_records_after_restart()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var images = TestImages.Mixed(20, seed: 41, prefix: $"store-outage-{Guid.NewGuid():N}"[..24]);

        await Pipeline.Store.KillAsync();
        List<UploadResult> uploads;
        try
        {
            uploads = [.. await Task.WhenAll(images.Select(i => fixture.Client.UploadAsync(i.Name, i.Content)))];
            // The outage outlasts the retries: every workflow gives up on SaveMetadata and ends FAILED.
            var states = await WaitForAsync(
                () => Task.WhenAll(uploads.Select(u => Pipeline.Workflows.GetAsync(u.Id.Value, CancellationToken.None))),
                all => all.All(s => s?.RuntimeStatus is "FAILED" or "COMPLETED" or "TERMINATED"),
                Bound);
            Assert.All(states, s => Assert.Equal("FAILED", s?.RuntimeStatus));
        }
        finally
        {
            await Pipeline.Store.StartAsync(TimeSpan.FromSeconds(60));
        }

        var records = await WithCronTicksAsync(() => fixture.Client.WaitForRecordsAsync([.. uploads.Select(u => u.Id)], Bound));

        AssertComplete(uploads, records);
        Assert.All(records.Values, r => Assert.Equal(ImageStatus.Succeeded, r.Status));
        foreach (var image in images)
        {
            Assert.Equal(1, await CountRowsAsync(image));
        }
    }

    [SkippableFact]
    public async Task Extractor_stopped_past_the_retries_while_20_images_are_uploaded_ends_with_20_succeeded_records_after_restart()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var images = TestImages.Mixed(20, seed: 42, prefix: $"extractor-outage-{Guid.NewGuid():N}"[..28]);

        await Pipeline.Extractor.KillAsync();
        List<UploadResult> uploads;
        try
        {
            uploads = [.. await Task.WhenAll(images.Select(i => fixture.Client.UploadAsync(i.Name, i.Content)))];
            // The outage outlasts the retries: every image is stored as failed/unavailable.
            var unavailable = await fixture.Client.WaitForRecordsAsync([.. uploads.Select(u => u.Id)], Bound);
            AssertComplete(uploads, unavailable);
            Assert.All(unavailable.Values, r => Assert.Equal(FailureClass.Unavailable, r.Failure?.Class));
        }
        finally
        {
            await Pipeline.Extractor.StartAsync(TimeSpan.FromSeconds(60));
        }

        var ids = uploads.Select(u => u.Id).ToList();
        var records = await WithCronTicksAsync(() => WaitForAsync(
            () => ReadRecordsAsync(ids),
            found => found.Count == ids.Count && found.Values.All(r => r.Status == ImageStatus.Succeeded),
            Bound));

        AssertComplete(uploads, records);
        Assert.All(records.Values, r => Assert.True(r.Status == ImageStatus.Succeeded, $"{r.Id}: {r.Status} {r.Failure}"));
        foreach (var image in images)
        {
            Assert.Equal(1, await CountRowsAsync(image));
        }
    }

    /// <summary>Runs <paramref name="wait"/> while the sweep's cron binding ticks every 2 s, as daprd's would on that schedule.</summary>
    private async Task<T> WithCronTicksAsync<T>(Func<Task<T>> wait)
    {
        using var stop = new CancellationTokenSource();
        var ticks = Task.Run(async () =>
        {
            var count = 0;
            while (!stop.IsCancellationRequested)
            {
                await Pipeline.IngestSidecar.FireCronAsync("sweep", CancellationToken.None);
                count++;
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(2), stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            return count;
        });
        try
        {
            return await wait();
        }
        finally
        {
            await stop.CancelAsync();
            output.WriteLine($"sweep cron ticks: {await ticks}");
        }
    }

    private void AssertComplete(IEnumerable<UploadResult> uploads, IReadOnlyDictionary<ImageId, ImageRecord> records)
    {
        var missing = uploads.Select(u => u.Id).Where(id => !records.ContainsKey(id)).ToList();
        if (missing.Count > 0)
        {
            var states = string.Join('\n', missing.Take(5).Select(id => $"{id}: {Pipeline.Workflows.Describe(id.Value)}"));
            Assert.Fail($"{missing.Count} image(s) have no record after {Bound}:\n{states}\n--- recent service output ---\n{Pipeline.RecentOutput}");
        }
    }

    /// <summary>The records the store has now for these ids (none while it cannot answer).</summary>
    private async Task<IReadOnlyDictionary<ImageId, ImageRecord>> ReadRecordsAsync(IReadOnlyList<ImageId> ids)
    {
        var found = new Dictionary<ImageId, ImageRecord>();
        foreach (var id in ids)
        {
            try
            {
                if (await fixture.Client.GetRecordAsync(id) is { } record)
                {
                    found[id] = record;
                }
            }
            catch (HttpRequestException)
            {
                // Asked again on the next poll.
            }
        }

        return found;
    }

    /// <summary>Rows for this blob name, found through the store's query API by the content's SHA-256.</summary>
    private async Task<int> CountRowsAsync(TestImage image)
    {
        using var page = await fixture.Client.QueryAsync($"sha256={TestEnvironment.Sha256(image.Content)}&limit=50");
        return TestEnvironment.Items(page.RootElement).Count(item => item.GetProperty("blob").GetProperty("name").GetString() == image.Name);
    }

}
