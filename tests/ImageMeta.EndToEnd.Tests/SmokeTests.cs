using ImageMeta.Testing.Dapr.Pipeline;

namespace ImageMeta.EndToEnd.Tests;

/// <summary>
/// Issue 6's smoke test: the three services with the local profile's own settings (each app's
/// <c>env</c> from <c>dapr.yaml</c>) against sidecar doubles, doing the README's round trip.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class SmokeTests
{
    [SkippableFact]
    public async Task Local_profile_settings_run_the_readme_round_trip()
    {
        Skip.If(PipelineFixture.MissingServices() is not null, PipelineFixture.MissingServices());
        await using var pipeline = await SidecarDoublePipeline.StartAsync(new PipelineSettings
        {
            Configuration = PipelineFixture.Configuration,
            WorkflowEngine = TestEnvironment.CreateWorkflowEngine,
            Database = MetadataDatabase.Sqlite,
            Environment = LocalProfile.AppEnvironment(),
            Tracing = false,
        });
        using var client = new PipelineClient(pipeline.Ingest.BaseAddress, pipeline.Store.BaseAddress);
        var image = TestImages.Mixed(1, seed: 42, prefix: "smoke")[0];

        await RoundTrip.RunAsync(client, image.Name, image.Content, pipeline.RecentOutput);
    }
}

/// <summary>Issue 6's switch: the same round trip and scenarios under <c>dapr run -f .</c> when asked to.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class RealDaprTests
{
    [SkippableFact]
    public async Task Readme_round_trip_under_dapr_run()
    {
        Skip.If(RealDaprPipeline.UnavailableReason is not null, RealDaprPipeline.UnavailableReason);
        await using var pipeline = await RealDaprPipeline.StartAsync(TimeSpan.FromMinutes(3));
        using var client = new PipelineClient(pipeline.Ingest, pipeline.Store);
        var image = TestImages.Mixed(1, seed: 43, prefix: $"real-{Guid.NewGuid():N}")[0];

        await RoundTrip.RunAsync(client, image.Name, image.Content, pipeline.RecentOutput);
    }

    [SkippableFact]
    public async Task Mixed_and_bad_images_under_dapr_run_end_as_the_extraction_core_says()
    {
        Skip.If(RealDaprPipeline.UnavailableReason is not null, RealDaprPipeline.UnavailableReason);
        await using var pipeline = await RealDaprPipeline.StartAsync(TimeSpan.FromMinutes(3));
        using var client = new PipelineClient(pipeline.Ingest, pipeline.Store);
        var prefix = $"real-{Guid.NewGuid():N}";
        var images = TestImages.Mixed(20, seed: 44, prefix: prefix).Concat(TestImages.Bad(prefix)).ToList();

        var uploads = await Task.WhenAll(images.Select(async i => (Image: i, Upload: await client.UploadAsync(i.Name, i.Content))));
        var records = await client.WaitForRecordsAsync([.. uploads.Select(u => u.Upload.Id)], TimeSpan.FromMinutes(3));

        Assert.Equal(images.Count, records.Count);
        foreach (var (image, upload) in uploads)
        {
            var expected = ExtractionReference.Extract(image.Content);
            Assert.Equal(expected.Failure?.Class, records[upload.Id].Failure?.Class);
            Assert.Equal(image.ExpectedFailureClass, records[upload.Id].Failure?.Class);
        }
    }
}
