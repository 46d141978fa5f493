using System.Globalization;
using System.Text.Json;
using Dapr.Client;
using ImageMeta.Contracts;
using Microsoft.Extensions.Options;

namespace ImageMeta.Blobs;

/// <summary>
/// <see cref="IBlobBinding"/> over Dapr's <c>bindings.azure.blobstorage</c> (components-contrib
/// <c>bindings/azure/blobstorage</c>): blobs are named by the <c>blobName</c> metadata key; <c>get</c>
/// answers the bytes or "blob not found"; <c>list</c> takes <c>{prefix, maxResults, marker}</c> and answers
/// the SDK's blob items (<c>Name</c>, <c>Properties.ETag</c>, <c>Properties.LastModified</c>,
/// <c>Properties.ContentLength</c>) with the next <c>marker</c> in the response metadata. The component must
/// set <c>decodeBase64: "true"</c>, because create data is sent base64-encoded. Versions are ETags.
/// </summary>
public sealed class AzureBlobStorageBinding(IBindingInvoker invoker, IOptions<BlobBindingOptions> options) : IBlobBinding
{
    private const string BlobNameKey = "blobName";
    private const int DescribePages = 20;
    private readonly BlobBindingOptions _options = options.Value;

    public string Container => _options.Container;

    public async Task<BlobContent> GetAsync(string name, CancellationToken cancellationToken)
    {
        // The get answer has no ETag: read the version before and after, so bytes and version agree.
        var before = await DescribeAsync(name, cancellationToken);
        BlobPayload.ThrowIfTooLarge(name, before.Size ?? 0, _options.MaxBlobBytes);
        BindingResponse response;
        try
        {
            response = await invoker.InvokeAsync(Request("get", name), cancellationToken);
        }
        catch (BindingOperationException e) when (e.Message.Contains("blob not found", StringComparison.OrdinalIgnoreCase))
        {
            throw new BlobNotFoundException(Container, name);
        }

        var after = await DescribeAsync(name, cancellationToken);
        if (after.Version != before.Version)
        {
            throw new BlobBindingUnavailableException($"Blob '{name}' changed while it was read; read it again.");
        }

        BlobPayload.ThrowIfTooLarge(name, response.Data.Length, _options.MaxBlobBytes);
        return new BlobContent(before, response.Data);
    }

    public async Task<BlobReference> CreateAsync(string name, ReadOnlyMemory<byte> content, string? contentType, CancellationToken cancellationToken)
    {
        BlobPayload.ThrowIfTooLarge(name, content.Length, _options.MaxBlobBytes);
        using var upload = BlobUploadBuffer.CopyOf(content.Span);
        return await CreateAsync(name, upload, contentType, cancellationToken);
    }

    public async Task<BlobReference> CreateAsync(string name, BlobUploadBuffer upload, string? contentType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        BlobPayload.ThrowIfTooLarge(name, upload.Length, _options.MaxBlobBytes);
        var request = Request("create", name);
        if (contentType is { Length: > 0 })
        {
            request.Metadata["contentType"] = contentType;
        }

        // The component decodes base64 (decodeBase64: "true"), which the buffer produces where the bytes lie.
        request.Data = upload.EncodeInPlace();
        try
        {
            await invoker.InvokeAsync(request, cancellationToken);
        }
        catch (BindingOperationException e)
        {
            throw new BlobBindingUnavailableException($"Uploading '{name}' failed: {e.Message}", e);
        }

        return await DescribeAsync(name, cancellationToken);
    }

    public async Task<BlobReference> DescribeAsync(string name, CancellationToken cancellationToken)
    {
        string? marker = null;
        for (var page = 0; page < DescribePages; page++)
        {
            var (items, next) = await ListRawAsync(name, marker, 100, cancellationToken);
            if (items.FirstOrDefault(i => i.Name == name) is { } found)
            {
                return found;
            }

            if (string.IsNullOrEmpty(next))
            {
                break;
            }

            marker = next;
        }

        throw new BlobNotFoundException(Container, name);
    }

    public async Task<BlobListPage> ListAsync(string? continuation, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var (items, next) = await ListRawAsync(null, continuation, pageSize, cancellationToken);
        return new BlobListPage(items, string.IsNullOrEmpty(next) ? null : next);
    }

    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await invoker.InvokeAsync(Request("delete", name), cancellationToken);
        }
        catch (BindingOperationException e) when (e.Message.Contains("blob not found", StringComparison.OrdinalIgnoreCase))
        {
            // Already gone: deleting is idempotent.
        }
    }

    private async Task<(List<BlobReference> Items, string? Marker)> ListRawAsync(string? prefix, string? marker, int maxResults, CancellationToken cancellationToken)
    {
        var request = new BindingRequest(_options.BindingName, "list")
        {
            Data = JsonSerializer.SerializeToUtf8Bytes(new { prefix = prefix ?? string.Empty, marker = marker ?? string.Empty, maxResults }),
        };
        BindingResponse response;
        try
        {
            response = await invoker.InvokeAsync(request, cancellationToken);
        }
        catch (BindingOperationException e)
        {
            throw new BlobBindingUnavailableException($"Listing the container failed: {e.Message}", e);
        }

        var items = new List<BlobReference>();
        if (!response.Data.IsEmpty)
        {
            using var document = JsonDocument.Parse(response.Data);
            foreach (var item in document.RootElement.EnumerateArray())
            {
                if (Property(item, "Name")?.GetString() is not { Length: > 0 } name)
                {
                    continue;
                }

                var properties = Property(item, "Properties");
                var etag = properties is { } p ? Property(p, "ETag")?.GetString() : null;
                var modified = properties is { } q && Property(q, "LastModified")?.GetString() is { } text &&
                               DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : (DateTimeOffset?)null;
                var size = properties is { } r && Property(r, "ContentLength") is { ValueKind: JsonValueKind.Number } length ? length.GetInt64() : (long?)null;
                items.Add(new BlobReference(Container, name, etag is { Length: > 0 } ? BlobVersions.FromETag(etag) : null, modified, size));
            }
        }

        response.Metadata.TryGetValue("marker", out var next);
        return (items, next);
    }

    private static JsonElement? Property(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value.ValueKind == JsonValueKind.Null ? null : property.Value;
            }
        }

        return null;
    }

    private BindingRequest Request(string operation, string name)
    {
        var request = new BindingRequest(_options.BindingName, operation);
        request.Metadata[BlobNameKey] = name;
        return request;
    }
}
