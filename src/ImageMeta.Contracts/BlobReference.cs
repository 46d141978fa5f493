using System.Text.Json.Serialization;

namespace ImageMeta.Contracts;

/// <summary>
/// Points at one version of one blob. This is what travels through triggers, the workflow and the
/// extractor: a reference, never the bytes.
/// </summary>
/// <param name="Container">The container (Azure) or folder (local storage) the blob lives in.</param>
/// <param name="Name">The blob's name inside the container, with forward slashes.</param>
/// <param name="Version">The blob's version as the storage reports it: its ETag, or a value derived
/// from size and last-modified time where the binding gives no ETag. Null when unknown.</param>
/// <param name="LastModified">When the storage last changed this blob, when known.</param>
/// <param name="Size">Byte length as the storage reports it, when known.</param>
public sealed record BlobReference(
    string Container,
    string Name,
    string? Version = null,
    DateTimeOffset? LastModified = null,
    long? Size = null)
{
    /// <summary>The id of the image this blob version becomes.</summary>
    [JsonIgnore]
    public ImageId ImageId => ImageId.For(Container, Name, Version);
}
