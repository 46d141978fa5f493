using ImageMeta.Contracts;

namespace ImageMeta.Blobs;

/// <summary>
/// The blob container behind the Dapr output binding <c>images</c>. Implementations hide how each
/// binding type names files (<c>fileName</c> vs <c>blobName</c>), shapes its list answer and reports
/// versions, so callers see one model. The adapter is the authority on a blob's version: every path
/// that derives an <see cref="ImageId"/> (upload, event, sweep) must take the version from here so the
/// same blob version always gets the same id.
/// </summary>
public interface IBlobBinding
{
    /// <summary>The container (or local folder) this binding is configured for.</summary>
    string Container { get; }

    /// <summary>
    /// Reads a whole blob (bounded by the configured maximum size) into one buffer: both components answer
    /// <c>get</c> with the raw bytes over gRPC, and the content is the response's own bytes, not a copy.
    /// </summary>
    /// <exception cref="BlobNotFoundException">The blob does not exist.</exception>
    /// <exception cref="BlobNotAFileException">The name is a folder, not a blob.</exception>
    /// <exception cref="BlobTooLargeException">The blob is larger than the configured maximum.</exception>
    /// <exception cref="BlobBindingUnavailableException">The sidecar or the storage could not be reached.</exception>
    Task<BlobContent> GetAsync(string name, CancellationToken cancellationToken);

    /// <summary>Writes (or overwrites) a blob and returns the reference of the version written.</summary>
    /// <exception cref="BlobBindingUnavailableException">The sidecar or the storage could not be reached.</exception>
    Task<BlobReference> CreateAsync(string name, ReadOnlyMemory<byte> content, string? contentType, CancellationToken cancellationToken);

    /// <summary>
    /// Writes (or overwrites) a blob from an upload buffer without copying it: the buffer is base64-encoded in
    /// place and handed to the sidecar call, so its content is gone afterwards. The default copies, for
    /// implementations that have no cheaper way.
    /// </summary>
    /// <exception cref="BlobBindingUnavailableException">The sidecar or the storage could not be reached.</exception>
    Task<BlobReference> CreateAsync(string name, BlobUploadBuffer upload, string? contentType, CancellationToken cancellationToken) =>
        CreateAsync(name, (upload ?? throw new ArgumentNullException(nameof(upload))).Content, contentType, cancellationToken);

    /// <summary>
    /// Whether <see cref="DescribeAsync"/> reads the whole blob (local storage: the version is the content's hash), so
    /// callers bound how many run at once; false where it is a metadata call (Azure: the blob's properties).
    /// </summary>
    bool DescribeReadsContent => false;

    /// <summary>The current version of a blob, with size and last-modified time where the binding reports them.</summary>
    /// <exception cref="BlobNotFoundException">The blob does not exist.</exception>
    /// <exception cref="BlobBindingUnavailableException">The sidecar or the storage could not be reached.</exception>
    Task<BlobReference> DescribeAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// One page of the container's blobs. Items carry versions where the binding's list answer has them
    /// (Azure: ETag); where it does not (local storage: names only) <see cref="BlobReference.Version"/>
    /// is null and the caller asks <see cref="DescribeAsync"/>.
    /// </summary>
    Task<BlobListPage> ListAsync(string? continuation, int pageSize, CancellationToken cancellationToken);

    /// <summary>Deletes a blob; deleting a missing blob is not an error.</summary>
    Task DeleteAsync(string name, CancellationToken cancellationToken);
}

/// <summary>A blob's bytes and the reference of the version they belong to.</summary>
public sealed record BlobContent(BlobReference Blob, ReadOnlyMemory<byte> Content, string? ContentType = null);

/// <summary>One page of a listing; <see cref="Continuation"/> is null on the last page.</summary>
public sealed record BlobListPage(IReadOnlyList<BlobReference> Items, string? Continuation);

/// <summary>The named blob does not exist in the container.</summary>
public sealed class BlobNotFoundException(string container, string name)
    : Exception($"Blob '{name}' does not exist in '{container}'.")
{
    public string Container { get; } = container;
    public string BlobName { get; } = name;
}

/// <summary>
/// The name is not a blob the binding can read, and never will be: a folder on local storage (components-contrib
/// localstorage answers "is a directory"). Not worth retrying, unlike <see cref="BlobBindingUnavailableException"/>.
/// </summary>
public sealed class BlobNotAFileException(string name, string reason)
    : Exception($"'{name}' is not a blob: {reason}.")
{
    public string BlobName { get; } = name;
}

/// <summary>The blob is larger than the configured maximum and was not read.</summary>
public sealed class BlobTooLargeException(string name, long size, long limit)
    : Exception($"Blob '{name}' has {size} bytes; the limit is {limit}.")
{
    public long Size { get; } = size;
    public long Limit { get; } = limit;
}

/// <summary>The sidecar or the storage behind it did not answer or failed; the call may succeed later.</summary>
public sealed class BlobBindingUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
