using System.Net;
using System.Text.Json;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr.Pipeline;
using Xunit.Abstractions;
using static ImageMeta.Testing.Polling;

namespace ImageMeta.EndToEnd.Tests;

/// <summary>
/// Blobs deleted or overwritten behind the pipeline's back, on each database: a blob deleted in storage loses its
/// record and thumbnails through its BlobDeleted event and, separately, through a sweep, while the other images stay;
/// an overwritten blob leaves one current record, the new version's, and the old version's thumbnails go.
/// </summary>
public abstract class DeletedBlobScenarios<TFixture>(TFixture fixture, ITestOutputHelper output)
    where TFixture : PipelineFixture
{
    private static readonly TimeSpan Settle = TimeSpan.FromMinutes(3);

    private SidecarDoublePipeline Pipeline => fixture.Pipeline;

    private PipelineClient Client => fixture.Client;

    private static string Unique(string what) => $"{what}-{Guid.NewGuid():N}"[..24];

    [SkippableFact]
    public async Task A_blob_deleted_in_storage_loses_its_record_and_thumbnails_through_its_BlobDeleted_event()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var (gone, kept) = await StoreImagesAsync(Unique("event-gone"), 3);
        File.Delete(BlobPath(gone.Blob.Name));

        var delivery = await Pipeline.IngestSidecar.DeliverQueueMessageAsync("image-events", BlobDeletedEvent(gone.Blob.Name), TimeSpan.FromMilliseconds(500), maxDeliveries: 20);

        Assert.True(delivery.Acknowledged, $"the BlobDeleted event was not acknowledged\n{Pipeline.RecentOutput}");
        await AssertDeletedAsync(gone);
        await AssertUntouchedAsync(kept);
    }

    [SkippableFact]
    public async Task A_blob_deleted_in_storage_loses_its_record_and_thumbnails_through_a_sweep()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var (gone, kept) = await StoreImagesAsync(Unique("sweep-gone"), 3);
        File.Delete(BlobPath(gone.Blob.Name));

        var report = await SweepAsync();

        Assert.Equal(1, report.GetProperty("deleted").GetInt32());
        await AssertDeletedAsync(gone);
        await AssertUntouchedAsync(kept);
        // Nothing is left to find: the next sweep deletes nothing.
        Assert.Equal(0, (await SweepAsync()).GetProperty("deleted").GetInt32());
        await AssertUntouchedAsync(kept);
    }

    [SkippableFact]
    public async Task An_overwritten_blob_leaves_one_current_record_the_new_one_and_its_old_thumbnails_go()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var images = TestImages.Mixed(2, seed: 52, prefix: Unique("overwrite"));
        var name = images[0].Name;
        var first = await Client.UploadAsync(name, images[0].Content);
        Assert.True((await Client.WaitForRecordsAsync([first.Id], Settle)).ContainsKey(first.Id), Pipeline.RecentOutput);
        var oldThumbnails = ThumbnailPaths(first.Id);
        Assert.Contains(oldThumbnails, File.Exists);

        // The same name, other content: a new version of the blob.
        var second = await Client.UploadAsync(name, images[1].Content);
        Assert.NotEqual(first.Id, second.Id);
        var records = await Client.WaitForRecordsAsync([second.Id], Settle);
        Assert.True(records.ContainsKey(second.Id), Pipeline.RecentOutput);

        var query = $"container={TestEnvironment.LocalContainer}&name={Uri.EscapeDataString(name)}";
        using (var current = await Client.QueryAsync(query))
        {
            Assert.Equal([second.Id.Value], TestEnvironment.Items(current.RootElement).Select(i => i.GetProperty("id").GetString()));
        }

        // Replaced versions' records are removed by default (Store:KeepReplacedVersions), so history holds only the new one.
        using (var history = await Client.QueryAsync(query + "&versions=all"))
        {
            Assert.Equal([second.Id.Value], TestEnvironment.Items(history.RootElement).Select(i => i.GetProperty("id").GetString()));
        }

        Assert.Null(await Client.GetRecordAsync(first.Id));
        Assert.True(await WaitForAsync(() => Task.FromResult(!oldThumbnails.Any(File.Exists)), done => done, TimeSpan.FromSeconds(30)), "the old version's thumbnails are still there");
        Assert.Contains(ThumbnailPaths(second.Id), File.Exists);

        // The listed name holds the new version: the sweep deletes nothing.
        Assert.Equal(0, (await SweepAsync()).GetProperty("deleted").GetInt32());
        Assert.NotNull(await Client.GetRecordAsync(second.Id));
    }

    /// <summary>Uploads <paramref name="count"/> images and waits for their records; the first is the one the test deletes.</summary>
    private async Task<(ImageRecord Gone, IReadOnlyList<ImageRecord> Kept)> StoreImagesAsync(string prefix, int count)
    {
        var images = TestImages.Mixed(count, seed: 51, prefix: prefix);
        var uploads = await Task.WhenAll(images.Select(i => Client.UploadAsync(i.Name, i.Content)));
        var records = await Client.WaitForRecordsAsync([.. uploads.Select(u => u.Id)], Settle);
        Assert.True(records.Count == count, $"{records.Count} of {count} images stored\n{Pipeline.RecentOutput}");
        foreach (var upload in uploads)
        {
            // Each run ends a moment after its record is visible; the test starts from a quiet pipeline.
            await WaitForAsync(() => Pipeline.Workflows.GetAsync(upload.Id.Value, CancellationToken.None), s => s?.RuntimeStatus == "COMPLETED", TimeSpan.FromSeconds(60));
            Assert.Contains(ThumbnailPaths(upload.Id), File.Exists);
        }

        return (records[uploads[0].Id], [.. uploads.Skip(1).Select(u => records[u.Id])]);
    }

    private async Task AssertDeletedAsync(ImageRecord record)
    {
        var workflow = $"delete-{record.Id}";
        var run = await WaitForAsync(
            () => Pipeline.Workflows.GetAsync(workflow, CancellationToken.None),
            instance => instance?.RuntimeStatus is "COMPLETED" or "FAILED" or "TERMINATED",
            TimeSpan.FromSeconds(60));
        Assert.True(run?.RuntimeStatus == "COMPLETED", $"{Pipeline.Workflows.Describe(workflow)}\n{Pipeline.RecentOutput}");
        using (var gone = await Client.GetFromStoreAsync($"{DaprTopology.Methods.Images}/{record.Id}"))
        {
            Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
        }

        Assert.DoesNotContain(ThumbnailPaths(record.Id), File.Exists);
    }

    private async Task AssertUntouchedAsync(IReadOnlyList<ImageRecord> records)
    {
        foreach (var record in records)
        {
            Assert.Equal(record.Id, (await Client.GetRecordAsync(record.Id))?.Id);
            Assert.True(File.Exists(BlobPath(record.Blob.Name)));
            Assert.Contains(ThumbnailPaths(record.Id), File.Exists);
        }
    }

    /// <summary>Runs one sweep (what the cron binding's tick runs) and answers its report.</summary>
    private async Task<JsonElement> SweepAsync()
    {
        using var http = new HttpClient();
        using var response = await http.PostAsync(new Uri(Pipeline.Ingest.BaseAddress, "sweep"), null);
        var body = await response.Content.ReadAsStringAsync();
        output.WriteLine($"sweep: {(int)response.StatusCode} {body}");
        Assert.True(response.IsSuccessStatusCode, $"{body}\n{Pipeline.RecentOutput}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private string BlobPath(string name) => Path.Combine(Pipeline.Network.Images.RootPath, name);

    private List<string> ThumbnailPaths(ImageId id) => [.. ImageThumbnail.BlobNamesFor(id).Select(n => Path.Combine(Pipeline.Network.Thumbnails.RootPath, n))];

    /// <summary>An Event Grid schema BlobDeleted event for a blob in the local container.</summary>
    private static string BlobDeletedEvent(string name)
    {
        var container = TestEnvironment.LocalContainer;
        return JsonSerializer.Serialize(new[]
        {
            new Dictionary<string, object>
            {
                ["topic"] = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/devstoreaccount1",
                ["subject"] = $"/blobServices/default/containers/{container}/blobs/{name}",
                ["eventType"] = "Microsoft.Storage.BlobDeleted",
                ["id"] = Guid.NewGuid().ToString(),
                ["eventTime"] = DateTimeOffset.UtcNow.ToString("O"),
                ["data"] = new Dictionary<string, object>
                {
                    ["api"] = "DeleteBlob",
                    ["contentType"] = "application/octet-stream",
                    ["blobType"] = "BlockBlob",
                    ["url"] = $"https://devstoreaccount1.blob.core.windows.net/{container}/{name}",
                    ["sequencer"] = "00000000000000000000000000000002",
                },
                ["dataVersion"] = string.Empty,
                ["metadataVersion"] = "1",
            },
        });
    }

}

[Collection(EndToEndCollection.Name)]
public sealed class SqliteDeletedBlobTests(SqlitePipelineFixture fixture, ITestOutputHelper output)
    : DeletedBlobScenarios<SqlitePipelineFixture>(fixture, output), IClassFixture<SqlitePipelineFixture>;

[Collection(EndToEndCollection.Name)]
public sealed class PostgresDeletedBlobTests(PostgresPipelineFixture fixture, ITestOutputHelper output)
    : DeletedBlobScenarios<PostgresPipelineFixture>(fixture, output), IClassFixture<PostgresPipelineFixture>;
