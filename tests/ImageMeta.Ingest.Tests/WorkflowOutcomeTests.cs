using System.Text.Json;
using ImageMeta.Contracts;
using Microsoft.AspNetCore.Http;

namespace ImageMeta.Ingest.Tests;

/// <summary>What the workflow makes of each answer of the extractor and the store: records, retries, failures.</summary>
public sealed class WorkflowOutcomeTests : IAsyncLifetime
{
    private IngestHarness H { get; set; } = null!;

    public async Task InitializeAsync() => H = await IngestHarness.StartAsync();

    public async Task DisposeAsync() => await H.DisposeAsync();

    private async Task RestartAsync(IngestHarnessOptions options)
    {
        await H.DisposeAsync();
        H = await IngestHarness.StartAsync(options);
    }

    [Fact]
    public async Task A_permanent_extraction_failure_is_saved_as_a_failed_record_after_one_call()
    {
        H.ExtractAnswer = (StatusCodes.Status422UnprocessableEntity, FailureClass.Corrupt);

        var status = await H.UploadAndWaitForWorkflowAsync("broken.jpg");

        Assert.Equal("COMPLETED", status.GetProperty("workflow").GetProperty("runtimeStatus").GetString());
        var record = Assert.Single(H.Saved);
        Assert.Equal((ImageStatus.Failed, FailureClass.Corrupt), (record.Status, record.Failure?.Class));
        Assert.Contains("stand-in extractor", record.Failure!.Message, StringComparison.Ordinal);
        Assert.Equal(1, H.ExtractCalls);
    }

    [Fact]
    public async Task An_extractor_that_stays_unavailable_is_retried_then_recorded_as_unavailable()
    {
        H.ExtractAnswer = (StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable);

        await H.UploadAndWaitForWorkflowAsync("later.jpg");

        var record = Assert.Single(H.Saved);
        Assert.Equal((ImageStatus.Failed, FailureClass.Unavailable), (record.Status, record.Failure?.Class));
        Assert.Equal(3, H.ExtractCalls);
    }

    [Fact]
    public async Task A_store_that_keeps_failing_fails_the_workflow_with_its_reason_in_the_status()
    {
        H.ExtractAnswer = (StatusCodes.Status200OK, null);
        H.StorePutStatus = StatusCodes.Status503ServiceUnavailable;

        var status = await H.UploadAndWaitForWorkflowAsync("unsaved.png");

        var workflow = status.GetProperty("workflow");
        Assert.Equal("FAILED", workflow.GetProperty("runtimeStatus").GetString());
        Assert.Contains("SaveMetadata", workflow.GetProperty("failureMessage").GetString(), StringComparison.Ordinal);
        Assert.Contains("503", workflow.GetProperty("failureMessage").GetString(), StringComparison.Ordinal);
        Assert.Empty(H.Saved);
    }

    [Fact]
    public async Task A_record_the_store_refuses_fails_the_workflow_after_one_call_with_the_store_s_reason()
    {
        // The SDK's retry policy retries every failed activity; a refusal is therefore a typed outcome, not an exception.
        H.ExtractAnswer = (StatusCodes.Status200OK, null);
        H.StorePutStatus = StatusCodes.Status400BadRequest;

        var status = await H.UploadAndWaitForWorkflowAsync("refused.png");

        var workflow = status.GetProperty("workflow");
        Assert.Equal("FAILED", workflow.GetProperty("runtimeStatus").GetString());
        Assert.Contains("refused the record", workflow.GetProperty("failureMessage").GetString(), StringComparison.Ordinal);
        Assert.Contains("stand-in store answers 400", workflow.GetProperty("failureMessage").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, H.StorePuts);
    }

    [Fact]
    public async Task The_workflow_input_carries_the_retry_policy_it_was_started_with()
    {
        H.ExtractAnswer = (StatusCodes.Status200OK, null);

        var status = await H.UploadAndWaitForWorkflowAsync("policy.png");

        var input = JsonDocument.Parse(H.Engine.InputOf(status.GetProperty("id").GetString()!)!).RootElement;
        Assert.Equal("policy.png", input.GetProperty("blob").GetProperty("name").GetString());
        var retry = input.GetProperty("retry");
        Assert.Equal(3, retry.GetProperty("maxAttempts").GetInt32());
        Assert.Equal(TimeSpan.FromMilliseconds(100), TimeSpan.Parse(retry.GetProperty("firstInterval").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_good_image_is_saved_as_succeeded_with_the_extractor_s_metadata()
    {
        H.ExtractAnswer = (StatusCodes.Status200OK, null);

        var status = await H.UploadAndWaitForWorkflowAsync("fine.png");

        Assert.Equal("COMPLETED", status.GetProperty("workflow").GetProperty("runtimeStatus").GetString());
        var record = Assert.Single(H.Saved);
        Assert.Equal(ImageStatus.Succeeded, record.Status);
        Assert.Equal((ImageFormats.Png, 3, 2), (record.Metadata?.Format, record.Metadata?.Width, record.Metadata?.Height));
        Assert.Equal("fine.png", record.Blob.Name);
    }

    [Fact]
    public async Task One_analyze_call_gives_the_record_its_metadata_thumbnail_and_extractor_version()
    {
        H.ExtractAnswer = (StatusCodes.Status200OK, null);

        var status = await H.UploadAndWaitForWorkflowAsync("both.png");

        Assert.Equal("COMPLETED", status.GetProperty("workflow").GetProperty("runtimeStatus").GetString());
        var record = Assert.Single(H.Saved);
        Assert.Equal(ImageStatus.Succeeded, record.Status);
        Assert.Equal(IngestHarness.Thumbnail(record.Blob), record.Thumbnail);
        Assert.Null(record.ThumbnailFailure);
        Assert.Equal(ExtractorVersions.Current, record.ExtractorVersion);
        // One read of the blob: no separate thumbnail call.
        Assert.Equal((1, 0), (H.ExtractCalls, H.ThumbnailCalls));
    }

    [Fact]
    public async Task An_instance_started_with_the_input_of_the_fan_out_shape_finishes_with_extract_and_thumbnail()
    {
        // An instance in flight during the upgrade to AnalyzeImage has an input without analyzeInOneCall: it must go on
        // with the two activities its history names (replaying AnalyzeImage there would be non-deterministic).
        H.ExtractAnswer = (StatusCodes.Status200OK, null);
        var blob = new BlobReference("images", "in-flight.png", "v1", Size: 3);
        var input = $$"""{"blob":{"container":"images","name":"in-flight.png","version":"v1","size":3},"retry":{"maxAttempts":3,"firstInterval":"00:00:00.1","backoffCoefficient":2,"maxInterval":"00:00:00.2"},"trigger":"upload"}""";

        await H.Engine.StartAsync(DaprTopology.Workflows.ImageMetadata, blob.ImageId.Value, input, null, null, CancellationToken.None);
        await H.Engine.WaitForTerminalAsync(blob.ImageId.Value, TimeSpan.FromSeconds(30));

        Assert.Equal("COMPLETED", (await H.Engine.GetAsync(blob.ImageId.Value, CancellationToken.None))?.RuntimeStatus);
        var record = Assert.Single(H.Saved);
        Assert.Equal((ImageStatus.Succeeded, IngestHarness.Thumbnail(blob)), (record.Status, record.Thumbnail));
        Assert.Equal((1, 1), (H.ExtractCalls, H.ThumbnailCalls));
    }

    [Fact]
    public async Task A_permanent_thumbnail_failure_keeps_the_image_succeeded_and_records_why_after_one_call()
    {
        H.ExtractAnswer = (StatusCodes.Status200OK, null);
        H.ThumbnailAnswer = (StatusCodes.Status422UnprocessableEntity, FailureClass.TooLarge);

        var status = await H.UploadAndWaitForWorkflowAsync("huge.png");

        Assert.Equal("COMPLETED", status.GetProperty("workflow").GetProperty("runtimeStatus").GetString());
        var record = Assert.Single(H.Saved);
        Assert.Equal(ImageStatus.Succeeded, record.Status);
        Assert.NotNull(record.Metadata);
        Assert.Null(record.Thumbnail);
        Assert.Equal(FailureClass.TooLarge, record.ThumbnailFailure?.Class);
        Assert.Equal((1, 0), (H.ExtractCalls, H.ThumbnailCalls));
    }

    [Fact]
    public async Task A_thumbnail_write_that_stays_unavailable_is_retried_then_recorded_as_unavailable_for_the_repair_loop()
    {
        // The one analyze call answers 503 when the thumbnails binding cannot be written: nothing of the image is
        // known for sure, so the record is unavailable and the sweep's repair loop runs it again later.
        H.ExtractAnswer = (StatusCodes.Status200OK, null);
        H.ThumbnailAnswer = (StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable);

        await H.UploadAndWaitForWorkflowAsync("no-preview.png");

        var record = Assert.Single(H.Saved);
        Assert.Equal((ImageStatus.Failed, FailureClass.Unavailable), (record.Status, record.Failure?.Class));
        Assert.Equal(FailureClass.Unavailable, record.ThumbnailFailure?.Class);
        Assert.Equal((3, 0), (H.ExtractCalls, H.ThumbnailCalls));
    }
}
