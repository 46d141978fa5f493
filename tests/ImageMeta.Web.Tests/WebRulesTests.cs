using ImageMeta.Contracts;
using ImageMeta.Web.Service;
using ImageMeta.Web.Service.Calls;

namespace ImageMeta.Web.Tests;

/// <summary>The web app's own rules, without a browser: units, the stage shown per status, and the store query.</summary>
public sealed class WebRulesTests
{
    [Theory]
    [InlineData(0L, "0 bytes")]
    [InlineData(1L, "1 byte")]
    [InlineData(1023L, "1023 bytes")]
    [InlineData(1536L, "1.5 KiB")]
    [InlineData(268435456L, "256 MiB")]
    [InlineData(5L * 1024 * 1024 * 1024, "5 GiB")]
    public void Bytes_read_as_people_read_them(long bytes, string expected) => Assert.Equal(expected, HumanUnits.Bytes(bytes));

    [Fact]
    public void Exposure_aperture_and_focal_length_use_camera_notation()
    {
        Assert.Equal("1/250 s", HumanUnits.Exposure(0.004));
        Assert.Equal("2 s", HumanUnits.Exposure(2));
        Assert.Equal("f/2.8", HumanUnits.FNumber(2.8));
        Assert.Equal("35 mm", HumanUnits.FocalLength(35));
        Assert.Equal("https://www.openstreetmap.org/?mlat=-33.856800&mlon=151.215300#map=15/-33.856800/151.215300", HumanUnits.OpenStreetMap(-33.8568, 151.2153).ToString());
    }

    [Fact]
    public void Stage_follows_the_record_first_then_the_workflow()
    {
        var id = ImageId.For("images", "a.png", "v1");
        var blob = new BlobReference("images", "a.png", "v1", null, 10);
        var failed = new ImageRecord { Id = id, Blob = blob, Status = ImageStatus.Failed, Failure = new ProcessingFailure(FailureClass.Corrupt, "Truncated."), ProcessedAt = DateTimeOffset.UnixEpoch };
        ImageStatusView Workflow(WorkflowRunStatus status, string? message = null, WaitingFor? waiting = null) =>
            new(id, new WorkflowStatusView(status, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, message is null ? null : "X", message, waiting));

        Assert.Equal(UploadStage.Queued, UploadStage.From(null, null).Stage);
        Assert.Equal(UploadStage.Queued, UploadStage.From(Workflow(WorkflowRunStatus.Pending), null).Stage);
        Assert.Equal(UploadStage.Extracting, UploadStage.From(Workflow(WorkflowRunStatus.Running), null).Stage);
        var stage = UploadStage.From(Workflow(WorkflowRunStatus.Running), failed);
        Assert.Equal((UploadStage.Failed, FailureClass.Corrupt, true), (stage.Stage, stage.FailureClass, stage.Done));
        Assert.Contains("Truncated.", stage.Sentence, StringComparison.Ordinal);
        var gone = UploadStage.From(Workflow(WorkflowRunStatus.Failed, "the store refused it"), null);
        Assert.Equal(UploadStage.Failed, gone.Stage);
        Assert.Contains("the store refused it", gone.Sentence, StringComparison.Ordinal);
        var waiting = UploadStage.From(Workflow(WorkflowRunStatus.Running, waiting: new WaitingFor("extractor", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), 3)), null);
        Assert.Equal(UploadStage.Extracting, waiting.Stage);
        Assert.Contains("extractor", waiting.Sentence, StringComparison.Ordinal);
        Assert.Contains("03:04:05", waiting.Sentence, StringComparison.Ordinal);

        // Asked at a moment: how long the file has waited since processing began, and how soon the next try is.
        var until = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var began = until.AddSeconds(-77);
        ImageStatusView Retried(DateTimeOffset created) => new(id, new WorkflowStatusView(WorkflowRunStatus.Running, created, created, WaitingFor: new WaitingFor("extractor", until, 3)));
        Assert.Equal(
            "Waiting for the extractor service, which did not answer: this file has waited 1 min 5 s since processing began, and attempt 3 starts in 12 s (at 03:04:05 UTC).",
            UploadStage.From(Retried(began), null, until.AddSeconds(-12)).Sentence);
        Assert.Equal(
            "Waiting for the extractor service, which did not answer: this file has waited 1 min 17 s since processing began, and attempt 3 starts now (it was due at 03:04:05 UTC).",
            UploadStage.From(Retried(began), null, until).Sentence);
        Assert.Equal(("45 s", "2 min", "1 h 1 min"), (HumanUnits.Duration(TimeSpan.FromSeconds(45.9)), HumanUnits.Duration(TimeSpan.FromMinutes(2)), HumanUnits.Duration(TimeSpan.FromSeconds(3661))));
    }

    [Fact]
    public void Filters_map_one_to_one_onto_the_store_query_and_are_escaped()
    {
        var filter = new GalleryFilter
        {
            Format = "png",
            Status = "failed",
            Camera = " Canon & Co ",
            TakenFrom = new DateOnly(2024, 5, 1),
            TakenTo = new DateOnly(2024, 5, 31),
            MinWidth = 100,
            MinHeight = 50,
        };
        Assert.Equal(
            "?limit=24&format=png&status=failed&camera=Canon%20%26%20Co&takenFrom=2024-05-01&takenTo=2024-05-31&minWidth=100&minHeight=50&cursor=abc%3D",
            filter.ToStoreQuery(24, "abc="));
        Assert.True(new GalleryFilter().IsEmpty);
        Assert.False(filter.IsEmpty);
    }

    [Fact]
    public void Has_gps_maps_onto_the_store_s_hasGps_and_survives_into_the_next_page_link()
    {
        var with = new GalleryFilter { HasGps = true };
        var without = new GalleryFilter { HasGps = false, Format = "jpeg" };

        Assert.Equal("?limit=6&hasGps=true", with.ToStoreQuery(6, null));
        Assert.Equal("?limit=6&format=jpeg&hasGps=false&cursor=c1", without.ToStoreQuery(6, "c1"));
        Assert.False(with.IsEmpty);
        Assert.Equal("false", without.RouteValues("c1")["hasGps"]);
        Assert.False(new GalleryFilter().RouteValues(null).ContainsKey("hasGps"));
    }

    [Fact]
    public void Originals_are_shown_inline_only_as_the_types_the_contract_names()
    {
        foreach (var format in GalleryFilter.Formats)
        {
            if (ImageFormats.ShownMediaType(format) is { } type)
            {
                Assert.True(ImageFormats.IsShownMediaType(type), type);
            }
        }

        foreach (var type in new[] { "image/svg+xml", "text/html", "image/tiff", "application/octet-stream", "IMAGE/JPEG", string.Empty })
        {
            Assert.False(ImageFormats.IsShownMediaType(type), type);
        }

        Assert.Null(ImageFormats.ShownMediaType(ImageFormats.Dng));
        Assert.Null(ImageFormats.ShownMediaType(ImageFormats.Wbmp));
    }
}
