using ImageMeta.Contracts;
using ImageMeta.Extractor;

namespace ImageMeta.EndToEnd.Tests;

/// <summary>
/// What the extraction core itself answers for some bytes, with its default options (the ones the
/// extractor service runs with unless configured): the expected value of every row.
/// </summary>
public static class ExtractionReference
{
    private static readonly ImageInspector Inspector = new(new ExtractionOptions());

    public static (ImageMetadata? Metadata, ProcessingFailure? Failure) Extract(byte[] content)
    {
        var result = Inspector.Inspect(content);
        return (result.Value, result.Failure);
    }
}
