using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace ImageMeta.Ingest.Tests;

/// <summary>The uploads' memory budget: reserved before the body is read, given back whatever happens.</summary>
public sealed class UploadBudgetTests : IAsyncLifetime
{
    private IngestHarness H { get; set; } = null!;

    public async Task InitializeAsync() => H = await IngestHarness.StartAsync();

    public async Task DisposeAsync() => await H.DisposeAsync();

    private async Task RestartAsync(IngestHarnessOptions options)
    {
        await H.DisposeAsync();
        H = await IngestHarness.StartAsync(options);
    }

    [Fact]
    public async Task The_memory_budget_comes_back_after_a_failed_write()
    {
        // The sidecar double takes gRPC messages up to daprd's default 4 MiB: the base64 form of 4 MiB is more.
        const int size = 4 * 1024 * 1024;
        await RestartAsync(new IngestHarnessOptions { MaxUpload = size, UploadBudget = size });
        var budget = H.Ingest.Services.GetRequiredService<UploadBudget>();

        using var failed = await H.UploadAsync("too-big-for-the-sidecar.bin", new byte[size]);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Null(failed.Headers.RetryAfter);
        Assert.Equal(0, budget.Reserved);
        using (var afterFailure = await H.UploadAsync("after-failure.bin", [1, 2, 3]))
        {
            Assert.Equal(HttpStatusCode.Accepted, afterFailure.StatusCode);
        }
    }

    [Fact]
    public async Task Past_the_budget_an_upload_gets_503_with_Retry_After_reads_nothing_and_writes_nothing()
    {
        const int size = 1024 * 1024;
        await RestartAsync(new IngestHarnessOptions { MaxUpload = size, UploadBudget = 2 * size });
        var budget = H.Ingest.Services.GetRequiredService<UploadBudget>();
        // Uploads in flight hold the whole budget (what two maximum-size bodies being read would hold).
        using (var held = budget.TryReserve(2 * size))
        {
            Assert.NotNull(held);

            using var refused = await H.UploadAsync("over-budget.png", [1, 2, 3]);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(refused.Headers.RetryAfter?.Delta);
            Assert.Empty(H.FilesWritten());
            Assert.Empty(H.Engine.StartedInstanceIds);
            Assert.Equal(2 * size, budget.Reserved);
        }

        // Once the holders finish, the same upload is taken.
        using var accepted = await H.UploadAsync("over-budget.png", [1, 2, 3]);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(0, budget.Reserved);
    }

    [Fact]
    public async Task An_upload_whose_client_goes_away_mid_body_gives_its_share_of_the_budget_back()
    {
        const int size = 1024 * 1024;
        await RestartAsync(new IngestHarnessOptions { MaxUpload = size, UploadBudget = size });
        var budget = H.Ingest.Services.GetRequiredService<UploadBudget>();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/images?name=abandoned.png") { Content = new AbandonedContent(size) };

        await Assert.ThrowsAnyAsync<Exception>(() => H.Http.SendAsync(request));

        // Bounded: the server notices the aborted body and its handler ends.
        for (var i = 0; i < 100 && budget.Reserved != 0; i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(0, budget.Reserved);
        Assert.Empty(H.FilesWritten());
        using var next = await H.UploadAsync("next.png", [1, 2, 3]);
        Assert.Equal(HttpStatusCode.Accepted, next.StatusCode);
    }

    /// <summary>A body that declares <paramref name="length"/> bytes, sends a few, then fails as a dropped connection does.</summary>
    private sealed class AbandonedContent(long length) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(new byte[1024]);
            await stream.FlushAsync();
            await Task.Delay(200);
            throw new IOException("the client went away");
        }

        protected override bool TryComputeLength(out long size)
        {
            size = length;
            return true;
        }
    }
}
