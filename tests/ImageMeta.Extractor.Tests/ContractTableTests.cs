using System.Text.Json;
using ImageMeta.Contracts;
using ImageMeta.ServiceDefaults;
using ImageMeta.Testing.Images;

namespace ImageMeta.Extractor.Tests;

/// <summary>The one format table and the one failure → status table, as the services read them.</summary>
public sealed class ContractTableTests
{
    [Fact]
    public void Every_format_name_has_one_row_and_its_media_type_is_the_one_an_original_is_served_as()
    {
        var names = typeof(ImageFormats).GetFields().Where(f => f.IsLiteral && f.Name != nameof(ImageFormats.UnknownMediaType)).Select(f => (string)f.GetRawConstantValue()!).ToList();

        Assert.Equal(names.Order(), ImageFormats.All.Select(f => f.Name).Order());
        foreach (var format in ImageFormats.All)
        {
            Assert.Equal(format.MediaType, ImageFormats.MediaType(format.Name));
            Assert.Equal(format.ShownInline ? format.MediaType : null, ImageFormats.ShownMediaType(format.Name));
        }

        Assert.Equal(ImageFormats.UnknownMediaType, ImageFormats.MediaType("nonsense"));
        Assert.All(ImageFormats.Raw, raw => Assert.Equal(ThumbnailDecoder.Fallback, ImageFormats.Find(raw)!.Decoder));
    }

    [Fact]
    public void An_extracted_icon_has_the_media_type_its_original_is_served_with()
    {
        // The extractor said image/vnd.microsoft.icon and the store served image/x-icon: one table now answers both.
        var result = new ImageInspector(new ExtractionOptions()).Inspect(ImageWriters.Ico(16));

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal(ImageFormats.ShownMediaType(ImageFormats.Ico), result.Value.MimeType);
    }

    [Fact]
    public void Each_failure_class_has_one_status_and_the_framework_statuses_map_back()
    {
        Assert.Equal(422, FailureProblems.StatusFor(FailureClass.Corrupt));
        Assert.Equal(422, FailureProblems.StatusFor(FailureClass.Unsupported));
        Assert.Equal(422, FailureProblems.StatusFor(FailureClass.Empty));
        foreach (var failureClass in new[] { FailureClass.TooLarge, FailureClass.NotFound, FailureClass.Unavailable, FailureClass.Deleted, FailureClass.InvalidRequest })
        {
            Assert.Equal(failureClass, FailureProblems.ClassFor(FailureProblems.StatusFor(failureClass)));
        }

        Assert.Equal(FailureClass.Unavailable, FailureProblems.ClassFor(408));
        Assert.Equal(FailureClass.InvalidRequest, FailureProblems.ClassFor(405));
        Assert.True(FailureClass.Recorded.IsSupersetOf(FailureClass.Permanent));
        Assert.DoesNotContain(FailureClass.Deleted, FailureClass.Recorded);
    }

    [Fact]
    public void An_outcome_holds_exactly_one_of_value_and_failure_and_round_trips_through_json()
    {
        var failed = Outcome.Fail<ImageMetadata>(FailureClass.Corrupt, "truncated");
        var json = JsonSerializer.Serialize(failed, ContractJson.Options);

        Assert.Equal("""{"failure":{"class":"corrupt","message":"truncated"}}""", json);
        Assert.Equal(failed.Failure, JsonSerializer.Deserialize<Outcome<ImageMetadata>>(json, ContractJson.Options)!.Failure);
        Assert.Throws<ArgumentException>(() => new Outcome<ImageMetadata>(null, null));
    }
}
