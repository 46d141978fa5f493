using System.Text.Json;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr;
using ImageMeta.Testing.Dapr.Pipeline;
using ImageMeta.Testing.Images;
using Microsoft.Data.Sqlite;
using SkiaSharp;
using Xunit.Abstractions;
using static ImageMeta.Testing.Polling;

namespace ImageMeta.EndToEnd.Tests;

/// <summary>
/// The end-to-end scenarios of issue 5, run once per database by the subclasses. Every wait is bounded;
/// a bound that passes is a failure with the services' recent output attached, never a hang.
/// </summary>
public abstract class PipelineScenarios<TFixture>(TFixture fixture, ITestOutputHelper output)
    where TFixture : PipelineFixture
{
    private static readonly TimeSpan Settle = TimeSpan.FromMinutes(3);

    protected SidecarDoublePipeline Pipeline => fixture.Pipeline;

    protected PipelineClient Client => fixture.Client;

    private static string Unique(string what) => $"{what}-{Guid.NewGuid():N}"[..24];

    [SkippableFact]
    public async Task Two_hundred_mixed_images_uploaded_concurrently_become_succeeded_rows_matching_the_extraction_core()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var images = TestImages.Mixed(200, seed: 1, prefix: Unique("mixed"));

        var uploads = await Task.WhenAll(images.Select(async image => (Image: image, Upload: await Client.UploadAsync(image.Name, image.Content))));
        var records = await Client.WaitForRecordsAsync([.. uploads.Select(u => u.Upload.Id)], Settle);

        AssertAllStored(uploads.Select(u => u.Upload.Id), records);
        foreach (var (image, upload) in uploads)
        {
            var record = records[upload.Id];
            Assert.Equal(image.Name, record.Blob.Name);
            Assert.True(record.Status == ImageStatus.Succeeded, $"{image.Name}: {record.Status} {record.Failure}");
            var expected = ExtractionReference.Extract(image.Content);
            Assert.True(expected.Metadata is not null, $"{image.Name}: the extraction core itself fails: {expected.Failure}");
            Assert.Equal(Json(expected.Metadata), Json(record.Metadata));
        }

        // One workflow per image, all completed. The row is written by the last activity, so the
        // workflow itself may finish a moment after the row is visible.
        foreach (var (_, upload) in uploads)
        {
            var instance = await WaitForCompletionAsync(upload.Id);
            Assert.Equal("COMPLETED", instance?.RuntimeStatus);
        }
    }

    [SkippableFact]
    public async Task The_same_BlobCreated_event_three_times_and_a_sweep_make_one_workflow_and_one_row()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var image = TestImages.Mixed(1, seed: 2, prefix: Unique("event"))[0];
        // The blob appears without an upload: someone wrote it into the container directly.
        var path = Path.Combine(Pipeline.Network.Images.RootPath, image.Name);
        await File.WriteAllBytesAsync(path, image.Content);
        var startsBefore = Pipeline.Workflows.StartedInstanceIds.Count;

        var message = BlobCreatedEvent(image.Name, image.Content.Length);
        var deliveries = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
            Pipeline.IngestSidecar.DeliverQueueMessageAsync("image-events", message, TimeSpan.FromMilliseconds(500), maxDeliveries: 20)));
        Assert.All(deliveries, d => Assert.True(d.Acknowledged, $"event not acknowledged: {d}"));
        var sweep = await Pipeline.IngestSidecar.FireCronAsync("sweep");
        Assert.True(sweep.Acknowledged, $"sweep answered {sweep.StatusCode}");

        var instanceIds = await WaitForAsync(
            () => Pipeline.Workflows.StartedInstanceIds.Skip(startsBefore).Where(id => Pipeline.Workflows.InputOf(id)?.Contains(image.Name, StringComparison.Ordinal) == true).Distinct().ToList(),
            ids => ids.Count >= 1,
            TimeSpan.FromSeconds(60));
        var id = ImageId.Parse(Assert.Single(instanceIds));
        var records = await Client.WaitForRecordsAsync([id], Settle);
        AssertAllStored([id], records);
        Assert.Equal(ImageStatus.Succeeded, records[id].Status);

        // A second sweep and a late duplicate event change nothing either. Both answer only once ingest has decided
        // (a start is scheduled with the engine before the answer), so their acknowledgements are the terminal state.
        Assert.True((await Pipeline.IngestSidecar.FireCronAsync("sweep")).Acknowledged);
        Assert.True((await Pipeline.IngestSidecar.DeliverQueueMessageAsync("image-events", message, TimeSpan.FromMilliseconds(500))).Acknowledged);
        Assert.Single(Pipeline.Workflows.StartedInstanceIds.Skip(startsBefore), i => i == id.Value);
        Assert.Equal(1, await CountRowsAsync(image));
    }

    [SkippableFact]
    public async Task A_burst_of_500_BlobCreated_events_stores_every_image_once_with_ingest_memory_bounded()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        // 2,000 events on a camera card in production; 500 on this 2-core machine.
        var images = TestImages.Mixed(500, seed: 7, prefix: Unique("burst"));
        foreach (var image in images)
        {
            await File.WriteAllBytesAsync(Path.Combine(Pipeline.Network.Images.RootPath, image.Name), image.Content);
        }

        var pid = Pipeline.Ingest.ProcessId ?? throw new InvalidOperationException("ingest is not running");
        var baseline = ResidentBytes(pid);
        long peak = baseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, ResidentBytes(pid));
                await Task.Delay(50, CancellationToken.None);
            }
        });

        var startsBefore = Pipeline.Workflows.StartedInstanceIds.Count;
        var deliveries = await Task.WhenAll(images.Select(image =>
            Pipeline.IngestSidecar.DeliverQueueMessageAsync("image-events", BlobCreatedEvent(image.Name, image.Content.Length), TimeSpan.FromMilliseconds(500), maxDeliveries: 40)));
        var names = images.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var started = Pipeline.Workflows.StartedInstanceIds.Skip(startsBefore).ToList();
        var ids = started.Select(ImageId.Parse).Distinct().ToList();
        var records = await Client.WaitForRecordsAsync(ids, Settle);
        await sampling.CancelAsync();
        await sampler;

        Assert.All(deliveries, d => Assert.True(d.Acknowledged, $"event not acknowledged: {d}"));
        Assert.Equal(images.Count, ids.Count);
        Assert.Equal(started.Count, ids.Count);
        AssertAllStored(ids, records);
        Assert.Equal(names.Order(StringComparer.Ordinal), records.Values.Select(r => r.Blob.Name).Order(StringComparer.Ordinal));
        foreach (var image in images.Take(50))
        {
            Assert.Equal(1, await CountRowsAsync(image));
        }

        // Memory bound, not a time: the burst waits in the queue and in ingest's event slots instead of piling up.
        output.WriteLine($"ingest resident memory: {baseline / 1048576} MiB before, {peak / 1048576} MiB peak during the burst");
        Assert.True(peak - baseline < 256L * 1024 * 1024, $"ingest grew by {(peak - baseline) / 1048576} MiB during the burst");
        Assert.True(peak < 768L * 1024 * 1024, $"ingest peaked at {peak / 1048576} MiB");
    }

    /// <summary>A process's resident set (VmRSS in /proc/{pid}/status), or 0 once it is gone.</summary>
    private static long ResidentBytes(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    [SkippableFact]
    public async Task Bad_files_become_failed_rows_with_their_class_and_are_not_retried()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        await QuiesceAsync();
        var extractCallsBefore = Pipeline.Network.Invocations.To("extractor").Count;
        var bad = TestImages.Bad(Unique("bad"));

        var uploads = await Task.WhenAll(bad.Select(async image => (Image: image, Upload: await Client.UploadAsync(image.Name, image.Content))));
        var records = await Client.WaitForRecordsAsync([.. uploads.Select(u => u.Upload.Id)], Settle);

        AssertAllStored(uploads.Select(u => u.Upload.Id), records);
        foreach (var (image, upload) in uploads)
        {
            var record = records[upload.Id];
            Assert.Equal(ImageStatus.Failed, record.Status);
            Assert.Equal(image.ExpectedFailureClass, record.Failure?.Class);
            Assert.Equal(ExtractionReference.Extract(image.Content).Failure?.Class, record.Failure?.Class);
            Assert.False(string.IsNullOrWhiteSpace(record.Failure?.Message));
        }

        // One analyze call each (metadata and thumbnail from one read): content failures are permanent, so nobody retries them.
        await QuiesceAsync();
        Assert.Equal(bad.Count, Pipeline.Network.Invocations.To("extractor").Count - extractCallsBefore);
        Assert.All(records.Values, r => Assert.Equal(r.Failure?.Class, r.ThumbnailFailure?.Class));
    }

    [SkippableFact]
    public async Task An_uploaded_photo_gets_a_thumbnail_and_its_copies_are_listed_as_similar_but_another_photo_is_not()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var prefix = Unique("photo");
        using var scene = PhotoLikeImages.Bitmap(seed: 11, 1600, 1200);
        using var half = scene.Resize(new SKImageInfo(800, 600), new SKSamplingOptions(SKCubicResampler.Mitchell));
        var photo = new TestImage($"{prefix}-original.jpg", PhotoLikeImages.Encode(scene, SKEncodedImageFormat.Jpeg, 95));
        TestImage[] copies =
        [
            new($"{prefix}-q60.jpg", PhotoLikeImages.Encode(scene, SKEncodedImageFormat.Jpeg, 60)),
            new($"{prefix}-half.png", PhotoLikeImages.Encode(half, SKEncodedImageFormat.Png, 100)),
            new($"{prefix}-copy.webp", PhotoLikeImages.Encode(scene, SKEncodedImageFormat.Webp, 80)),
        ];
        var other = new TestImage($"{prefix}-other.jpg", PhotoLikeImages.Encoded(seed: 12, 1600, 1200));

        var uploads = new Dictionary<string, ImageId>();
        foreach (var image in copies.Prepend(photo).Append(other))
        {
            uploads[image.Name] = (await Client.UploadAsync(image.Name, image.Content)).Id;
        }

        var records = await Client.WaitForRecordsAsync(uploads.Values, Settle);
        AssertAllStored(uploads.Values, records);
        var id = uploads[photo.Name];
        var thumbnail = records[id].Thumbnail;
        Assert.True(thumbnail is not null, $"no thumbnail: {records[id].ThumbnailFailure}");
        Assert.Equal((ImageThumbnail.MaxEdge, 240), (thumbnail.Width, thumbnail.Height));

        // The thumbnail is served by the store through the thumbnails binding: a WebP of the recorded size, cacheable.
        using (var response = await Client.GetFromStoreAsync($"{DaprTopology.Methods.Images}/{id}/thumbnail"))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("image/webp", response.Content.Headers.ContentType?.MediaType);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(thumbnail.Bytes, bytes.Length);
            using var codec = SKCodec.Create(new MemoryStream(bytes));
            Assert.Equal((SKEncodedImageFormat.Webp, thumbnail.Width, thumbnail.Height), (codec.EncodedFormat, codec.Info.Width, codec.Info.Height));
            var etag = response.Headers.ETag?.ToString();
            Assert.False(string.IsNullOrEmpty(etag));
            using var again = await Client.GetFromStoreAsync($"{DaprTopology.Methods.Images}/{id}/thumbnail", new Dictionary<string, string> { ["If-None-Match"] = etag });
            Assert.Equal(System.Net.HttpStatusCode.NotModified, again.StatusCode);
        }

        // Re-encoded, resized and re-formatted copies are near duplicates; the other photo is not, nor the image itself.
        using (var response = await Client.GetFromStoreAsync($"{DaprTopology.Methods.Images}/{id}/similar?limit=100"))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            using var similar = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var found = similar.RootElement.GetProperty("items").EnumerateArray()
                .Select(item => (Id: item.GetProperty("image").GetProperty("id").GetString(), Distance: item.GetProperty("distance").GetInt32()))
                .ToList();
            output.WriteLine(string.Join('\n', found));
            Assert.Equal(copies.Select(c => uploads[c.Name].Value).Order(), found.Select(f => f.Id).Where(f => uploads.ContainsValue(ImageId.Parse(f!))).Order());
            Assert.Equal(found.Select(f => f.Distance).Order(), found.Select(f => f.Distance));
        }
    }

    [SkippableFact]
    public async Task An_image_deleted_through_the_API_loses_its_blob_thumbnails_and_record_and_a_second_delete_is_harmless()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var image = TestImages.Mixed(1, seed: 8, prefix: Unique("delete"))[0];
        var upload = await Client.UploadAsync(image.Name, image.Content);
        var records = await Client.WaitForRecordsAsync([upload.Id], Settle);
        AssertAllStored([upload.Id], records);
        var thumbnails = ImageThumbnail.BlobNamesFor(upload.Id).Select(n => Path.Combine(Pipeline.Network.Thumbnails.RootPath, n)).ToList();
        Assert.Contains(thumbnails, File.Exists);
        using var http = new HttpClient();
        var address = new Uri(Pipeline.Ingest.BaseAddress, $"images/{upload.Id}");

        using var first = await http.DeleteAsync(address);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, first.StatusCode);
        var workflow = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("workflow").GetString()!;
        var run = await WaitForAsync(
            () => Pipeline.Workflows.GetAsync(workflow, CancellationToken.None),
            instance => instance?.RuntimeStatus is "COMPLETED" or "FAILED" or "TERMINATED",
            TimeSpan.FromSeconds(60));

        Assert.True(run?.RuntimeStatus == "COMPLETED", Pipeline.Workflows.Describe(workflow));
        Assert.False(File.Exists(Path.Combine(Pipeline.Network.Images.RootPath, image.Name)));
        Assert.DoesNotContain(thumbnails, File.Exists);
        using (var gone = await Client.GetFromStoreAsync($"{DaprTopology.Methods.Images}/{upload.Id}"))
        {
            Assert.Equal(System.Net.HttpStatusCode.Gone, gone.StatusCode);
        }

        using var second = await http.DeleteAsync(address);
        Assert.Equal(System.Net.HttpStatusCode.NoContent, second.StatusCode);
        Assert.Equal(0, await CountRowsAsync(image));
    }

    [SkippableFact]
    public async Task Extractor_down_for_twenty_seconds_delays_images_but_every_one_succeeds()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var images = TestImages.Mixed(20, seed: 3, prefix: Unique("no-extractor"));
        var failuresBefore = FailedExtractorCalls();

        await Pipeline.Extractor.KillAsync();
        List<UploadResult> uploads;
        try
        {
            uploads = [.. await Task.WhenAll(images.Select(i => Client.UploadAsync(i.Name, i.Content)))];
            await Task.Delay(TimeSpan.FromSeconds(20));
        }
        finally
        {
            await Pipeline.Extractor.StartAsync(TimeSpan.FromSeconds(60));
        }

        var records = await Client.WaitForRecordsAsync([.. uploads.Select(u => u.Id)], Settle);
        AssertAllStored(uploads.Select(u => u.Id), records);
        Assert.All(records.Values, r => Assert.Equal(ImageStatus.Succeeded, r.Status));
        // The outage was real: calls failed while it lasted, and the workflows retried past it.
        Assert.True(FailedExtractorCalls() > failuresBefore);
    }

    [SkippableFact]
    public async Task Store_database_unavailable_for_twenty_seconds_delays_images_but_every_one_succeeds()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var images = TestImages.Mixed(20, seed: 4, prefix: Unique("no-database"));

        List<UploadResult> uploads;
        int savedDuringOutage;
        await using (await DatabaseOutage.BeginAsync(fixture))
        {
            uploads = [.. await Task.WhenAll(images.Select(i => Client.UploadAsync(i.Name, i.Content)))];
            await Task.Delay(TimeSpan.FromSeconds(20));
            savedDuringOutage = SuccessfulSaves(uploads.Select(u => u.Id));
        }

        // The outage was real: no save of these images succeeded while it lasted (PostgreSQL refuses the
        // connections; SQLite writers wait on the lock until their busy timeout fails them).
        Assert.Equal(0, savedDuringOutage);
        var records = await Client.WaitForRecordsAsync([.. uploads.Select(u => u.Id)], Settle);
        AssertAllStored(uploads.Select(u => u.Id), records);
        Assert.All(records.Values, r => Assert.Equal(ImageStatus.Succeeded, r.Status));
    }

    [SkippableFact]
    public async Task Ingest_killed_mid_workflow_resumes_after_restart_without_duplicate_rows()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var images = TestImages.Mixed(10, seed: 5, prefix: Unique("resume"));
        var extractorFailuresBefore = FailedExtractorCalls();

        // Park the workflows in their retry of AnalyzeImage: the extractor is down.
        await Pipeline.Extractor.KillAsync();
        List<UploadResult> uploads;
        try
        {
            uploads = [.. await Task.WhenAll(images.Select(i => Client.UploadAsync(i.Name, i.Content)))];
            await WaitForAsync(
                () => FailedExtractorCalls() - extractorFailuresBefore,
                failures => failures >= images.Count,
                TimeSpan.FromSeconds(60));
            await Pipeline.Ingest.KillAsync();
        }
        finally
        {
            await Pipeline.Extractor.StartAsync(TimeSpan.FromSeconds(60));
        }

        foreach (var upload in uploads)
        {
            // Not finished: a workflow whose first step had not run yet when ingest died is still PENDING.
            Assert.Contains((await Pipeline.Workflows.GetAsync(upload.Id.Value, CancellationToken.None))?.RuntimeStatus, new[] { "RUNNING", "PENDING" });
        }

        await Pipeline.Ingest.StartAsync(TimeSpan.FromSeconds(60));
        var records = await Client.WaitForRecordsAsync([.. uploads.Select(u => u.Id)], Settle);
        AssertAllStored(uploads.Select(u => u.Id), records);
        Assert.All(records.Values, r => Assert.Equal(ImageStatus.Succeeded, r.Status));
        foreach (var image in images)
        {
            Assert.Equal(1, await CountRowsAsync(image));
        }

        foreach (var upload in uploads)
        {
            var instance = await WaitForCompletionAsync(upload.Id);
            Assert.Equal("COMPLETED", instance?.RuntimeStatus);
            Assert.Single(Pipeline.Workflows.StartedInstanceIds, i => i == upload.Id.Value);
        }
    }

    [SkippableFact]
    public async Task One_upload_leaves_one_trace_across_ingest_workflow_extraction_thumbnail_and_store()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var zipkin = Pipeline.Zipkin!;
        var image = TestImages.Mixed(1, seed: 6, prefix: Unique("trace"))[0];

        var upload = await Client.UploadAsync(image.Name, image.Content);
        var records = await Client.WaitForRecordsAsync([upload.Id], Settle);
        AssertAllStored([upload.Id], records);

        // Each service's exporter sends its spans in batches (every 5 s by default), so parts of the trace
        // arrive at different times: wait until the extractor's and the store's server spans are there and
        // each one's chain of parents reaches the upload's server span without a gap.
        var trace = await WaitForAsync(
            () => zipkin.Trace(upload.TraceId),
            spans => ReachesUpload(ServerChain(spans, DaprTopology.AppIds.Extractor, verb: DaprTopology.Methods.Analyze)) &&
                     ReachesUpload(ServerChain(spans, DaprTopology.AppIds.Store, verb: "PUT")),
            TimeSpan.FromSeconds(60));
        output.WriteLine(string.Join('\n', trace));

        var byId = trace.ToDictionary(s => s.Id);
        var upstream = trace.Where(s => s.ParentId is not null && !byId.ContainsKey(s.ParentId)).ToList();
        // Only the upload's server span has a parent outside the collected trace: our client's span.
        var root = Assert.Single(upstream);
        Assert.Equal("ingest", root.ServiceName);
        Assert.Equal("SERVER", root.Kind);

        foreach (var (app, verb, activity) in new[]
                 {
                     (DaprTopology.AppIds.Extractor, DaprTopology.Methods.Analyze, DaprTopology.Workflows.AnalyzeImageActivity),
                     (DaprTopology.AppIds.Store, "PUT", DaprTopology.Workflows.SaveMetadataActivity),
                 })
        {
            var chain = ServerChain(trace, app, verb);
            Assert.True(chain is not null, $"no {app} server span in the trace");
            Assert.Equal(root.Id, chain[^1].Id);
            Assert.Contains(chain, s => s.ServiceName == "ingest" && s.Name?.Contains(activity, StringComparison.OrdinalIgnoreCase) == true);
            Assert.Contains(chain, s => s.ServiceName == "ingest" && s.Name?.Contains(DaprTopology.Workflows.ImageMetadata, StringComparison.OrdinalIgnoreCase) == true);
        }
    }

    /// <summary>Whether the chain runs through the workflow up to a server span of ingest (the upload).</summary>
    private static bool ReachesUpload(List<ZipkinSpan>? chain) =>
        chain is [.., { ServiceName: DaprTopology.AppIds.Ingest, Kind: "SERVER" }] &&
        chain.Any(s => s.Name?.Contains(DaprTopology.Workflows.ImageMetadata, StringComparison.OrdinalIgnoreCase) == true);

    /// <summary>
    /// The first server span of <paramref name="app"/> (whose name has <paramref name="verb"/>, when given)
    /// followed by its ancestors as far as they are in <paramref name="trace"/>; null when there is none.
    /// </summary>
    private static List<ZipkinSpan>? ServerChain(IReadOnlyList<ZipkinSpan> trace, string app, string? verb)
    {
        var server = trace.FirstOrDefault(s => s.ServiceName == app && s.Kind == "SERVER" &&
                                               (verb is null || s.Name?.Contains(verb, StringComparison.OrdinalIgnoreCase) == true));
        if (server is null)
        {
            return null;
        }

        var byId = trace.GroupBy(s => s.Id).ToDictionary(g => g.Key, g => g.First());
        var chain = new List<ZipkinSpan>();
        for (var s = server; s is not null && chain.Count <= trace.Count; s = s.ParentId is { } p ? byId.GetValueOrDefault(p) : null)
        {
            chain.Add(s);
        }

        return chain;
    }

    /// <summary>An Event Grid schema BlobCreated event for a blob in the local container.</summary>
    private static string BlobCreatedEvent(string name, long length)
    {
        var container = TestEnvironment.LocalContainer;
        var events = new[]
        {
            new Dictionary<string, object>
            {
                ["topic"] = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/devstoreaccount1",
                ["subject"] = $"/blobServices/default/containers/{container}/blobs/{name}",
                ["eventType"] = "Microsoft.Storage.BlobCreated",
                ["id"] = Guid.NewGuid().ToString(),
                ["eventTime"] = DateTimeOffset.UtcNow.ToString("O"),
                ["data"] = new Dictionary<string, object>
                {
                    ["api"] = "PutBlob",
                    ["contentType"] = "application/octet-stream",
                    ["contentLength"] = length,
                    ["blobType"] = "BlockBlob",
                    ["url"] = $"https://devstoreaccount1.blob.core.windows.net/{container}/{name}",
                    ["eTag"] = "0x8DCAFE0000000001",
                    ["sequencer"] = "00000000000000000000000000000001",
                },
                ["dataVersion"] = string.Empty,
                ["metadataVersion"] = "1",
            },
        };
        return JsonSerializer.Serialize(events);
    }

    /// <summary>Store writes (<c>PUT images/{id}</c>) answered 2xx for these ids, from the store double's log.</summary>
    private int SuccessfulSaves(IEnumerable<ImageId> ids)
    {
        var wanted = ids.Select(id => $"{DaprTopology.Methods.Images}/{id}").ToHashSet(StringComparer.Ordinal);
        return Pipeline.Network.Invocations.To(DaprTopology.AppIds.Store).Count(r => r.Verb == "PUT" && r.StatusCode is >= 200 and < 300 && wanted.Contains(r.Method));
    }

    /// <summary>Rows for this blob name, found through the store's query API by the content's SHA-256.</summary>
    private async Task<int> CountRowsAsync(TestImage image)
    {
        var name = image.Name;
        using var page = await Client.QueryAsync($"sha256={TestEnvironment.Sha256(image.Content)}&limit=50");
        return TestEnvironment.Items(page.RootElement).Count(item => item.GetProperty("blob").GetProperty("name").GetString() == name);
    }

    /// <summary>Waits until no workflow of this pipeline is still running, so call counts start from a quiet state.</summary>
    private async Task QuiesceAsync() =>
        await WaitForAsync(() => Pipeline.Workflows.RunningCount, running => running == 0, TimeSpan.FromMinutes(2));

    private void AssertAllStored(IEnumerable<ImageId> ids, IReadOnlyDictionary<ImageId, ImageRecord> records)
    {
        var missing = ids.Where(id => !records.ContainsKey(id)).ToList();
        if (missing.Count > 0)
        {
            var states = string.Join('\n', missing.Take(5).Select(id => $"{id}: {Pipeline.Workflows.Describe(id.Value)}"));
            Assert.Fail($"{missing.Count} image(s) have no record after {Settle}:\n{states}\n--- recent service output ---\n{Pipeline.RecentOutput}");
        }
    }

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, ContractJson.Options);

    /// <summary>Calls to the extractor that failed with a 5xx (its outage as the sidecar saw it), so far.</summary>
    private int FailedExtractorCalls() => Pipeline.Network.Invocations.To("extractor").Count(r => r.StatusCode >= 500);

    /// <summary>The workflow's state once it reports COMPLETED, or its last state after the bound.</summary>
    private Task<WorkflowInstanceView?> WaitForCompletionAsync(ImageId id) =>
        WaitForAsync(
            () => Pipeline.Workflows.GetAsync(id.Value, CancellationToken.None),
            instance => instance?.RuntimeStatus == "COMPLETED",
            TimeSpan.FromSeconds(30));



    /// <summary>The store's database made unreachable for the lifetime of the returned handle.</summary>
    private sealed class DatabaseOutage : IAsyncDisposable
    {
        private readonly Func<Task> _end;

        private DatabaseOutage(Func<Task> end) => _end = end;

        public static async Task<DatabaseOutage> BeginAsync(PipelineFixture fixture)
        {
            if (fixture.Postgres is { } postgres)
            {
                await postgres.MakeUnavailableAsync();
                return new DatabaseOutage(postgres.MakeAvailableAsync);
            }

            // SQLite has no server to stop. An exclusive transaction held by another process is what an
            // unavailable SQLite database looks like to the store: every write fails with SQLITE_BUSY once
            // its busy timeout passes.
            var connection = new SqliteConnection($"Data Source={fixture.Pipeline.SqlitePath};Pooling=False");
            await connection.OpenAsync();
            await using (var begin = connection.CreateCommand())
            {
                begin.CommandText = "BEGIN EXCLUSIVE";
                await begin.ExecuteNonQueryAsync();
            }

            return new DatabaseOutage(async () =>
            {
                await using (var rollback = connection.CreateCommand())
                {
                    rollback.CommandText = "ROLLBACK";
                    await rollback.ExecuteNonQueryAsync();
                }

                await connection.DisposeAsync();
            });
        }

        public ValueTask DisposeAsync() => new(_end());
    }
}

[Collection(EndToEndCollection.Name)]
public sealed class SqlitePipelineTests(SqlitePipelineFixture fixture, ITestOutputHelper output)
    : PipelineScenarios<SqlitePipelineFixture>(fixture, output), IClassFixture<SqlitePipelineFixture>;

[Collection(EndToEndCollection.Name)]
public sealed class PostgresPipelineTests(PostgresPipelineFixture fixture, ITestOutputHelper output)
    : PipelineScenarios<PostgresPipelineFixture>(fixture, output), IClassFixture<PostgresPipelineFixture>;

/// <summary>
/// One collection for every class that starts services: on two cores, two pipelines side by side would
/// measure the machine, not the code. Classes in it run one after another.
/// </summary>
[CollectionDefinition(Name)]
public sealed class EndToEndCollection
{
    public const string Name = "end-to-end";
}
