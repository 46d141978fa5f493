using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Dapr.Client;
using ImageMeta.Contracts;
using Microsoft.Extensions.Options;

namespace ImageMeta.Blobs.Tests;

/// <summary>
/// The Azure adapter against answers shaped like <c>bindings.azure.blobstorage</c>'s (components-contrib
/// bindings/azure/blobstorage/blobstorage.go): <c>blobName</c> metadata, "blob not found" errors, list data
/// <c>{prefix, marker, maxResults}</c> answered with the SDK's blob items and a <c>marker</c> response key.
/// </summary>
public sealed class AzureBlobStorageBindingTests
{
    private readonly AzureContainerFake _container = new();
    private readonly AzureBlobStorageBinding _binding;

    public AzureBlobStorageBindingTests()
    {
        _binding = new AzureBlobStorageBinding(_container, Options.Create(new BlobBindingOptions { BindingType = BlobBindingOptions.AzureBlobStorage, Container = "photos", MaxBlobBytes = 1000 }));
    }

    [Fact]
    public async Task Create_sends_base64_and_returns_the_etag_version()
    {
        byte[] content = [1, 2, 3, 0xFF];

        var created = await _binding.CreateAsync("a/b.jpg", content, "image/jpeg", default);

        Assert.Equal(content, _container.Blobs["a/b.jpg"].Content);
        Assert.Equal("image/jpeg", _container.Blobs["a/b.jpg"].ContentType);
        Assert.Equal(BlobVersions.FromETag(_container.Blobs["a/b.jpg"].ETag), created.Version);
        Assert.Equal(new BlobReference("photos", "a/b.jpg", created.Version, created.LastModified, 4), created);
    }

    [Fact]
    public async Task Get_returns_bytes_with_the_version_they_belong_to()
    {
        await _binding.CreateAsync("x.png", new byte[] { 9, 8, 7 }, null, default);

        var read = await _binding.GetAsync("x.png", default);

        Assert.Equal(new byte[] { 9, 8, 7 }, read.Content.ToArray());
        Assert.Equal(BlobVersions.FromETag(_container.Blobs["x.png"].ETag), read.Blob.Version);
    }

    [Fact]
    public async Task Missing_blobs_are_not_found_and_deleting_them_is_fine()
    {
        await Assert.ThrowsAsync<BlobNotFoundException>(() => _binding.GetAsync("nope.jpg", default));
        await Assert.ThrowsAsync<BlobNotFoundException>(() => _binding.DescribeAsync("nope.jpg", default));
        await _binding.DeleteAsync("nope.jpg", default);
    }

    [Fact]
    public async Task Describe_finds_the_exact_name_among_prefix_matches()
    {
        await _binding.CreateAsync("img10.jpg", new byte[] { 1 }, null, default);
        await _binding.CreateAsync("img1.jpg", new byte[] { 1, 2 }, null, default);
        await _binding.CreateAsync("img1.jpg.bak", new byte[] { 1, 2, 3 }, null, default);

        var described = await _binding.DescribeAsync("img1.jpg", default);

        Assert.Equal(2, described.Size);
        Assert.Equal("img1.jpg", described.Name);
    }

    [Fact]
    public async Task List_pages_with_the_components_marker_until_done()
    {
        for (var i = 0; i < 7; i++)
        {
            await _binding.CreateAsync($"p/{i}.jpg", new byte[] { (byte)i }, null, default);
        }

        var names = new List<string>();
        string? continuation = null;
        var pages = 0;
        do
        {
            var page = await _binding.ListAsync(continuation, 3, default);
            names.AddRange(page.Items.Select(i => i.Name));
            Assert.All(page.Items, i => Assert.StartsWith("etag:", i.Version, StringComparison.Ordinal));
            continuation = page.Continuation;
            pages++;
        }
        while (continuation is not null);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"p/{i}.jpg"), names);
    }

    [Fact]
    public async Task Size_limits_hold_in_both_directions()
    {
        await Assert.ThrowsAsync<BlobTooLargeException>(() => _binding.CreateAsync("big", new byte[1001], null, default));
        _container.Put("big-already", new byte[1001]);
        await Assert.ThrowsAsync<BlobTooLargeException>(() => _binding.GetAsync("big-already", default));
    }

    [Fact]
    public async Task A_blob_replaced_while_it_is_read_is_reported_as_transient()
    {
        await _binding.CreateAsync("moving.jpg", new byte[] { 1 }, null, default);
        _container.ReplaceDuringNextGet = "moving.jpg";

        await Assert.ThrowsAsync<BlobBindingUnavailableException>(() => _binding.GetAsync("moving.jpg", default));
    }

    /// <summary>A container that answers binding requests the way the Azure blob storage component does.</summary>
    private sealed class AzureContainerFake : IBindingInvoker
    {
        private int _etag = 0x1000;

        public ConcurrentDictionary<string, (byte[] Content, string? ContentType, string ETag, DateTimeOffset Modified)> Blobs { get; } = new(StringComparer.Ordinal);

        public string? ReplaceDuringNextGet { get; set; }

        public void Put(string name, byte[] content, string? contentType = null) =>
            Blobs[name] = (content, contentType, $"\"0x8DC{Interlocked.Increment(ref _etag):X}\"", DateTimeOffset.UtcNow);

        public Task<BindingResponse> InvokeAsync(BindingRequest request, CancellationToken cancellationToken)
        {
            request.Metadata.TryGetValue("blobName", out var name);
            var none = new Dictionary<string, string>();
            switch (request.Operation)
            {
                case "create":
                    // decodeBase64: "true" on the component
                    Put(name!, Convert.FromBase64String(Encoding.ASCII.GetString(request.Data.Span)), request.Metadata.GetValueOrDefault("contentType"));
                    return Answer(request, JsonSerializer.SerializeToUtf8Bytes(new { blobURL = "http://127.0.0.1:10000/devstoreaccount1/photos/" + name, blobName = name }), new() { ["blobName"] = name! });
                case "get":
                    if (name is null || !Blobs.TryGetValue(name, out var blob))
                    {
                        throw new BindingOperationException("blob not found");
                    }

                    if (ReplaceDuringNextGet == name)
                    {
                        ReplaceDuringNextGet = null;
                        Put(name, [42]);
                    }

                    return Answer(request, blob.Content, none);
                case "delete":
                    return Blobs.TryRemove(name!, out _) ? Answer(request, default, none) : throw new BindingOperationException("blob not found");
                case "list":
                    using (var payload = JsonDocument.Parse(request.Data))
                    {
                        var prefix = payload.RootElement.GetProperty("prefix").GetString() ?? string.Empty;
                        var marker = payload.RootElement.GetProperty("marker").GetString();
                        var max = payload.RootElement.GetProperty("maxResults").GetInt32();
                        var names = Blobs.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
                        var start = string.IsNullOrEmpty(marker) ? 0 : int.Parse(marker[1..], System.Globalization.CultureInfo.InvariantCulture);
                        var page = names.Skip(start).Take(max).Select(n => new
                        {
                            Name = n,
                            Deleted = false,
                            Properties = new { ETag = Blobs[n].ETag.Trim('"'), LastModified = Blobs[n].Modified.ToString("O"), ContentLength = (long)Blobs[n].Content.Length },
                        }).ToList();
                        var next = start + max < names.Count ? "m" + (start + max) : string.Empty;
                        return Answer(request, JsonSerializer.SerializeToUtf8Bytes(page), new() { ["marker"] = next, ["number"] = page.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                    }

                default:
                    throw new BindingOperationException($"unsupported operation {request.Operation}");
            }
        }

        private static Task<BindingResponse> Answer(BindingRequest request, ReadOnlyMemory<byte> data, Dictionary<string, string> metadata) =>
            Task.FromResult(new BindingResponse(request, data, metadata));
    }
}
