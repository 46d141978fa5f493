using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Dapr.Client;
using ImageMeta.Blobs;

namespace ImageMeta.Extractor.Tests;

/// <summary>
/// Answers binding calls the way <c>bindings.localstorage</c> does (components-contrib
/// bindings/localstorage/localstorage.go): <c>fileName</c> metadata, raw bytes from get, "file not found"
/// for a missing file, base64-decoded create data, absolute paths from list. Each component is its own folder:
/// <c>images</c> is <see cref="Files"/>, <c>thumbnails</c> is <see cref="Thumbnails"/>.
/// </summary>
public sealed class LocalStorageInvokerFake : IBindingInvoker
{
    public const string Root = "/var/dapr/images";

    public ConcurrentDictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, byte[]> Thumbnails { get; } = new(StringComparer.Ordinal);

    public bool Unreachable { get; set; }

    /// <summary>Binding names whose calls fail as if the storage behind them were down.</summary>
    public HashSet<string> Failing { get; } = new(StringComparer.Ordinal);

    /// <summary>How many <c>get</c> calls reached the <c>images</c> binding.</summary>
    public int ImageReads => _imageReads;

    private int _imageReads;

    public Task<BindingResponse> InvokeAsync(BindingRequest request, CancellationToken cancellationToken)
    {
        if (request.BindingName == "images" && request.Operation == "get")
        {
            Interlocked.Increment(ref _imageReads);
        }

        if (Unreachable)
        {
            throw new BlobBindingUnavailableException("connection refused");
        }

        if (Failing.Contains(request.BindingName))
        {
            throw new BlobBindingUnavailableException($"error invoking output binding {request.BindingName}: connection refused");
        }

        var files = request.BindingName == "thumbnails" ? Thumbnails : Files;
        request.Metadata.TryGetValue("fileName", out var name);
        var response = new BindingResponse(request, default, new Dictionary<string, string>());
        switch (request.Operation)
        {
            case "get":
                if (name is null || !files.TryGetValue(name, out var bytes))
                {
                    throw new BindingOperationException($"error invoking output binding images: file not found: {Root}/{name}");
                }

                return Task.FromResult(new BindingResponse(request, bytes, new Dictionary<string, string>()));
            case "create":
                files[name!] = Convert.FromBase64String(Encoding.ASCII.GetString(request.Data.Span));
                return Task.FromResult(new BindingResponse(request, JsonSerializer.SerializeToUtf8Bytes(new { fileName = name }), new Dictionary<string, string>()));
            case "list":
                return Task.FromResult(new BindingResponse(request, JsonSerializer.SerializeToUtf8Bytes(files.Keys.Select(k => $"{Root}/{k}").ToArray()), new Dictionary<string, string>()));
            case "delete":
                if (!files.TryRemove(name!, out _))
                {
                    throw new BindingOperationException($"error deleting file {Root}/{name}: remove {Root}/{name}: no such file or directory");
                }

                return Task.FromResult(response);
            default:
                throw new BindingOperationException($"unsupported operation {request.Operation}");
        }
    }
}
