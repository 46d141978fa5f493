using Dapr.Client;
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
    private DaprClient _dapr = null!;
    private LocalStorageBlobBinding _blobs = null!;

    public async Task InitializeAsync()
    {
        var sidecar = await _network.StartSidecarAsync(new SidecarOptions { AppId = DaprTopology.AppIds.Ingest, AppPort = LoopbackPorts.Free() });
        _dapr = new DaprClientBuilder().UseGrpcEndpoint(sidecar.GrpcEndpoint).UseHttpEndpoint(sidecar.HttpEndpoint).Build();
        _blobs = new LocalStorageBlobBinding(
            new DaprBindingInvoker(_dapr),
            Options.Create(new BlobBindingOptions { BindingType = BlobBindingOptions.LocalStorage, LocalRootPath = _network.Images.RootPath }));
    }

    public async Task DisposeAsync()
    {
        _dapr.Dispose();
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
