using ImageMeta.Blobs;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr;
using ImageMeta.Testing.Dapr.Pipeline;
using Microsoft.Extensions.Options;

namespace ImageMeta.EndToEnd.Tests;

/// <summary>
/// The services' localstorage adapter (src/ImageMeta.Blobs) against the double's <c>bindings.localstorage</c>:
/// both were written from components-contrib's source independently, so this is where they must agree
/// (create's encoding, get's bytes and not-found error, list's absolute paths, delete).
/// </summary>
public sealed class BlobAdapterThroughSidecarTests : IAsyncLifetime
{
    private readonly SidecarNetwork _network = new();
    private SidecarDouble _sidecar = null!;
    private readonly List<DaprBindingInvoker> _invokers = [];
    private LocalStorageBlobBinding _blobs = null!;

    public async Task InitializeAsync()
    {
        _sidecar = await _network.StartSidecarAsync(new SidecarOptions { AppId = DaprTopology.AppIds.Ingest, AppPort = LoopbackPorts.Free() });
        _blobs = Adapter(new BlobBindingOptions());
    }

    private LocalStorageBlobBinding Adapter(BlobBindingOptions options)
    {
        options.BindingType = BlobBindingOptions.LocalStorage;
        options.LocalRootPath = _network.Images.RootPath;
        var wrapped = Options.Create(options);
        var invoker = new DaprBindingInvoker(_sidecar.GrpcEndpoint, apiToken: null, maxMessageBytes: 64 * 1024 * 1024, wrapped);
        _invokers.Add(invoker);
        return new LocalStorageBlobBinding(invoker, wrapped);
    }

    /// <summary>An image stored through a fresh adapter with these call settings, and the gRPC binding calls seen so far.</summary>
    private async Task<(LocalStorageBlobBinding Blobs, TestImage Image, int CallsBefore)> StoredImageAsync(TimeSpan callTimeout, int attempts, int seed)
    {
        var image = TestImages.Mixed(1, seed, prefix: $"calls-{seed}")[0];
        var blobs = Adapter(new BlobBindingOptions { CallTimeout = callTimeout, CallAttempts = attempts });
        await blobs.CreateAsync(image.Name, image.Content, "application/octet-stream", CancellationToken.None);
        return (blobs, image, _sidecar.BindingCallsOverGrpc);
    }

    [Fact]
    public async Task A_binding_call_whose_answer_is_lost_is_sent_again_after_its_deadline()
    {
        var (blobs, image, callsBefore) = await StoredImageAsync(TimeSpan.FromSeconds(3), attempts: 3, seed: 32);

        _sidecar.LoseNextBindingResponses(2);
        var content = await blobs.GetAsync(image.Name, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(image.Content, content.Content.ToArray());
        Assert.Equal(3, _sidecar.BindingCallsOverGrpc - callsBefore);
    }

    [Fact]
    public async Task A_binding_call_that_never_gets_an_answer_ends_in_a_typed_error_after_its_attempts()
    {
        var (blobs, image, callsBefore) = await StoredImageAsync(TimeSpan.FromMilliseconds(300), attempts: 2, seed: 33);

        _sidecar.LoseNextBindingResponses(int.MaxValue);
        try
        {
            var error = await Assert.ThrowsAsync<BlobBindingUnavailableException>(
                () => blobs.GetAsync(image.Name, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("did not answer the 'get' call", error.Message, StringComparison.Ordinal);
            Assert.Equal(2, _sidecar.BindingCallsOverGrpc - callsBefore);
        }
        finally
        {
            _sidecar.LoseNextBindingResponses(0);
        }
    }

    [Fact]
    public async Task A_caller_that_cancels_is_not_retried()
    {
        var (blobs, image, callsBefore) = await StoredImageAsync(TimeSpan.FromSeconds(20), attempts: 3, seed: 34);

        _sidecar.LoseNextBindingResponses(1);
        using var caller = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var error = await Record.ExceptionAsync(() => blobs.GetAsync(image.Name, caller.Token).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.NotNull(error);
        Assert.IsNotType<TimeoutException>(error);
        Assert.Equal(1, _sidecar.BindingCallsOverGrpc - callsBefore);
    }

    public async Task DisposeAsync()
    {
        foreach (var invoker in _invokers)
        {
            invoker.Dispose();
        }

        await _network.DisposeAsync();
    }

    [Fact]
    public async Task Create_describe_list_get_and_delete_agree_with_the_binding()
    {
        var images = TestImages.Mixed(5, seed: 31, prefix: "adapter/sub").Append(new TestImage("adapter/text.txt", "aGk="u8.ToArray())).ToList();

        var created = new List<BlobReference>();
        foreach (var image in images)
        {
            created.Add(await _blobs.CreateAsync(image.Name, image.Content, "application/octet-stream", CancellationToken.None));
        }

        foreach (var (image, reference) in images.Zip(created))
        {
            // The bytes on disk are the bytes uploaded, even text that happens to be valid base64.
            Assert.Equal(image.Content, await File.ReadAllBytesAsync(Path.Combine(_network.Images.RootPath, image.Name)));
            var content = await _blobs.GetAsync(image.Name, CancellationToken.None);
            Assert.Equal(image.Content, content.Content.ToArray());
            Assert.Equal(reference.Version, (await _blobs.DescribeAsync(image.Name, CancellationToken.None)).Version);
            Assert.Equal(reference.ImageId, content.Blob.ImageId);
        }

        var page = await _blobs.ListAsync(null, 100, CancellationToken.None);
        Assert.Equal(images.Select(i => i.Name).Order(StringComparer.Ordinal), page.Items.Select(i => i.Name).Order(StringComparer.Ordinal));

        await _blobs.DeleteAsync(images[0].Name, CancellationToken.None);
        await Assert.ThrowsAsync<BlobNotFoundException>(() => _blobs.GetAsync(images[0].Name, CancellationToken.None));
        await _blobs.DeleteAsync(images[0].Name, CancellationToken.None);
    }
}
