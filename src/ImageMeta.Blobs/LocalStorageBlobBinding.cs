using System.Text.Json;
using Dapr.Client;
using ImageMeta.Contracts;
using Microsoft.Extensions.Options;

namespace ImageMeta.Blobs;

/// <summary>
/// <see cref="IBlobBinding"/> over Dapr's <c>bindings.localstorage</c> (components-contrib
/// <c>bindings/localstorage</c>): files are named by the <c>fileName</c> metadata key; <c>get</c> answers
/// the raw bytes or the error "file not found"; <c>list</c> answers a JSON array of absolute paths, all
/// at once; <c>create</c> answers <c>{"fileName": ...}</c>. There is no ETag, so a version is the content's
/// SHA-256, which every path (upload, sweep, event) can compute from the same bytes.
/// </summary>
public sealed class LocalStorageBlobBinding(IBindingInvoker invoker, IOptions<BlobBindingOptions> options) : IBlobBinding
{
    private const string FileNameKey = "fileName";
    private readonly BlobBindingOptions _options = options.Value;

    public string Container => _options.Container;

    /// <summary>There is no version but the content's hash: describing a blob reads it whole.</summary>
    public bool DescribeReadsContent => true;

    public async Task<BlobContent> GetAsync(string name, CancellationToken cancellationToken)
    {
        BindingResponse response;
        try
        {
            response = await invoker.InvokeAsync(Request("get", name), cancellationToken);
        }
        catch (BindingOperationException e) when (e.Message.Contains("file not found", StringComparison.OrdinalIgnoreCase))
        {
            throw new BlobNotFoundException(Container, name);
        }
        catch (BindingOperationException e) when (e.Message.Contains("is a directory", StringComparison.OrdinalIgnoreCase))
        {
            // localstorage.go get: os.Open of a folder succeeds, io.ReadAll fails with "read …: is a directory".
            throw new BlobNotAFileException(name, "it is a folder");
        }
        catch (BindingOperationException e)
        {
            // Any other error of the component (permissions, I/O): the storage's problem, perhaps not for long.
            throw new BlobBindingUnavailableException($"Reading '{name}' failed: {e.Message}", e);
        }

        BlobPayload.ThrowIfTooLarge(name, response.Data.Length, _options.MaxBlobBytes);
        return new BlobContent(Reference(name, response.Data.Span), response.Data);
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
        // The version is the content's hash, taken before the bytes are encoded over.
        var reference = Reference(name, upload.Content.Span);
        var request = Request("create", name);
        // localstorage.go create base64-decodes whenever the data is valid base64, so sending base64 always is the
        // one encoding that cannot be misread (raw bytes that happen to be valid base64 would be decoded).
        request.Data = upload.EncodeInPlace();
        try
        {
            await invoker.InvokeAsync(request, cancellationToken);
        }
        catch (BindingOperationException e)
        {
            throw new BlobBindingUnavailableException($"Writing '{name}' failed: {e.Message}", e);
        }

        return reference;
    }

    public async Task<BlobReference> DescribeAsync(string name, CancellationToken cancellationToken) =>
        (await GetAsync(name, cancellationToken)).Blob;

    public async Task<BlobListPage> ListAsync(string? continuation, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var offset = continuation is null ? 0 : int.TryParse(continuation, out var o) && o >= 0 ? o : throw new ArgumentException("Not a continuation this binding issued.", nameof(continuation));
        BindingResponse response;
        try
        {
            response = await invoker.InvokeAsync(new BindingRequest(_options.BindingName, "list"), cancellationToken);
        }
        catch (BindingOperationException e)
        {
            throw new BlobBindingUnavailableException($"Listing the folder failed: {e.Message}", e);
        }

        var paths = response.Data.IsEmpty ? [] : JsonSerializer.Deserialize<string[]?>(response.Data.Span) ?? [];
        var names = paths.Select(NameOf).Where(n => n is not null).Select(n => n!).Order(StringComparer.Ordinal).ToList();
        var page = names.Skip(offset).Take(pageSize).Select(n => new BlobReference(Container, n)).ToList();
        var next = offset + pageSize < names.Count ? (offset + pageSize).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        return new BlobListPage(page, next);
    }

    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await invoker.InvokeAsync(Request("delete", name), cancellationToken);
        }
        catch (BindingOperationException e) when (e.Message.Contains("no such file", StringComparison.OrdinalIgnoreCase))
        {
            // Already gone: deleting is idempotent.
        }
    }

    /// <summary>Turns an absolute path from <c>list</c> into a name relative to the component's root path.</summary>
    internal string? NameOf(string path)
    {
        path = path.Replace('\\', '/');
        if (_options.LocalRootPath is { Length: > 0 } root)
        {
            // daprd resolves a relative rootPath against its working directory, which dapr run makes the
            // app's own directory too, so the full path of the same setting names the same folder. daprd
            // also resolves symbolic links (macOS /var is /private/var), so both spellings are accepted.
            foreach (var spelling in new[] { Path.GetFullPath(root), WithoutLinks(Path.GetFullPath(root)) })
            {
                var prefix = spelling.Replace('\\', '/').TrimEnd('/') + "/";
                if (path.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return path[prefix.Length..];
                }
            }

            return null;
        }

        var marker = "/" + Container + "/";
        var at = path.LastIndexOf(marker, StringComparison.Ordinal);
        return at >= 0 ? path[(at + marker.Length)..] : Path.GetFileName(path);
    }

    /// <summary>The path with every symbolic link on it resolved, as Go's filepath.EvalSymlinks gives it.</summary>
    internal static string WithoutLinks(string fullPath)
    {
        var root = Path.GetPathRoot(fullPath) ?? "/";
        var current = root;
        foreach (var part in fullPath[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            try
            {
                if (File.ResolveLinkTarget(current, returnFinalTarget: true) is { } target)
                {
                    current = target.FullName;
                }
            }
            catch (IOException)
            {
                // Not there (yet) or unreadable: keep the spelling as given.
            }
            catch (UnauthorizedAccessException)
            {
                // Same.
            }
        }

        return current;
    }

    private BlobReference Reference(string name, ReadOnlySpan<byte> content) =>
        new(Container, name, BlobVersions.FromContentHash(BlobPayload.ContentHash(content)), null, content.Length);

    private BindingRequest Request(string operation, string name)
    {
        var request = new BindingRequest(_options.BindingName, operation);
        request.Metadata[FileNameKey] = name;
        return request;
    }
}
