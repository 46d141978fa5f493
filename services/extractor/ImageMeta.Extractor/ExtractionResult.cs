using System.Diagnostics.CodeAnalysis;
using ImageMeta.Contracts;

namespace ImageMeta.Extractor;

/// <summary>Either the metadata of an image or the reason there is none; never both, never neither.</summary>
public sealed record ExtractionResult
{
    private ExtractionResult(ImageMetadata? metadata, ExtractionFailure? failure)
    {
        Metadata = metadata;
        Failure = failure;
    }

    public ImageMetadata? Metadata { get; }

    public ExtractionFailure? Failure { get; }

    [MemberNotNullWhen(true, nameof(Metadata))]
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool Succeeded => Metadata is not null;

    public static ExtractionResult Success(ImageMetadata metadata) => new(metadata, null);

    public static ExtractionResult Fail(string failureClass, string message) => new(null, new ExtractionFailure(failureClass, message));
}
