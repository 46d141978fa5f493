using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImageMeta.Blobs;
using ImageMeta.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ImageMeta.Store.Tests;

/// <summary>
/// <c>GET /images/{id}/original</c> over HTTP, on SQLite, with the store's real Dapr client reading the blob through a
/// sidecar double's <c>images</c> binding (<c>bindings.localstorage</c> over gRPC, a temp folder). Local storage has
/// no ETag, so a blob's version is its content's SHA-256, as ingest and the extractor record it.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "xUnit disposes through IAsyncLifetime.")]
public sealed class OriginalApiTests : IAsyncLifetime
{
    private const string AppToken = "store-app-token";
    private StoreOnSidecar _store = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _store = await StoreOnSidecar.StartAsync("originals", new Dictionary<string, string>
        {
            ["Images:CallTimeout"] = "00:00:30",
            ["Images:CallAttempts"] = "1",
            // The route is sidecar-facing: the token the sidecar sends guards it like every store route.
            ["APP_API_TOKEN"] = AppToken,
        });
        _client = _store.Client;
        _client.DefaultRequestHeaders.Add("dapr-api-token", AppToken);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    /// <summary>Writes the blob into the images folder and stores the record of that version (as the pipeline would).</summary>
    private async Task<ImageRecord> PutBlobAndRecord(string name, byte[] bytes, Func<string, ImageRecord> record)
    {
        WriteBlob(name, bytes);
        var stored = record(BlobVersions.FromContentHash(Convert.ToHexStringLower(SHA256.HashData(bytes))));
        var response = await _client.PutAsync($"/images/{stored.Id}", new StringContent(JsonSerializer.Serialize(stored, ContractJson.Options), Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return stored;
    }

    private void WriteBlob(string name, byte[] bytes)
    {
        var path = Path.Combine(_store.Blobs, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }

    private static byte[] Payload(int length, int seed) => Enumerable.Range(0, length).Select(i => (byte)(i * 31 + seed)).ToArray();

    private static async Task<JsonElement> Problem(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task The_original_is_served_byte_for_byte_as_its_format_s_image_type_inline_named_and_nosniff()
    {
        var bytes = Payload(200_000, 7);
        var record = await PutBlobAndRecord("trips/été à Paris.jpg", bytes, v => SampleRecords.Succeeded("trips/été à Paris.jpg", version: v));

        var response = await _client.GetAsync($"/images/{record.Id}/original");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        var disposition = response.Content.Headers.ContentDisposition!;
        Assert.Equal("inline", disposition.DispositionType);
        Assert.Equal("été à Paris.jpg", disposition.FileNameStar);
        Assert.Contains("filename*=UTF-8''%C3%A9t%C3%A9%20%C3%A0%20Paris.jpg", response.Content.Headers.GetValues("Content-Disposition").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failed_records_and_formats_browsers_do_not_show_are_octet_stream_attachments()
    {
        var text = Encoding.UTF8.GetBytes("These are notes, not an image.\n");
        var failed = await PutBlobAndRecord("notes \"draft\".txt", text, v => SampleRecords.Failed("notes \"draft\".txt", FailureClass.Unsupported, version: v));
        var raw = Payload(5000, 3);
        var dng = await PutBlobAndRecord("raw/shot.dng", raw, v => SampleRecords.Succeeded("raw/shot.dng", version: v, format: ImageFormats.Dng));

        foreach (var (record, bytes, fileName) in new[] { (failed, text, "notes \"draft\".txt"), (dng, raw, "shot.dng") })
        {
            var response = await _client.GetAsync($"/images/{record.Id}/original");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
            Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.DispositionType);
            Assert.Equal(fileName, response.Content.Headers.ContentDisposition.FileNameStar);
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        }
    }

    [Fact]
    public async Task A_replaced_blob_answers_410_a_deleted_one_404_and_ids_answer_404_or_400()
    {
        var replaced = await PutBlobAndRecord("swap/a.png", Payload(3000, 1), v => SampleRecords.Succeeded("swap/a.png", version: v, format: ImageFormats.Png));
        var deleted = await PutBlobAndRecord("gone/b.png", Payload(3000, 2), v => SampleRecords.Succeeded("gone/b.png", version: v, format: ImageFormats.Png));
        var elsewhere = await PutBlobAndRecord("c.png", Payload(10, 3), v => SampleRecords.Succeeded("c.png", version: v, container: "archive", format: ImageFormats.Png));
        WriteBlob("swap/a.png", Payload(3000, 9));
        File.Delete(Path.Combine(_store.Blobs, "gone", "b.png"));

        var gone = await _client.GetAsync($"/images/{replaced.Id}/original");
        var missing = await _client.GetAsync($"/images/{deleted.Id}/original");
        var unreachable = await _client.GetAsync($"/images/{elsewhere.Id}/original");
        var unknown = await _client.GetAsync($"/images/{new string('d', ImageId.Length)}/original");
        var malformed = await _client.GetAsync("/images/not-an-id/original");

        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
        Assert.Contains("replaced", (await Problem(gone)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("Original blob missing", (await Problem(missing)).GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.NotFound, unreachable.StatusCode);
        Assert.Equal("Original not reachable", (await Problem(unreachable)).GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("Unknown image", (await Problem(unknown)).GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("Invalid image id", (await Problem(malformed)).GetProperty("title").GetString());
    }

    [Fact]
    public async Task The_original_answers_503_with_retry_after_when_the_sidecar_is_down()
    {
        var record = await PutBlobAndRecord("down/a.jpg", Payload(100, 4), v => SampleRecords.Succeeded("down/a.jpg", version: v));
        await _store.Network.DisposeAsync();

        var response = await _client.GetAsync($"/images/{record.Id}/original");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Contains("retry", (await Problem(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Originals_beyond_the_concurrent_reads_answer_503_busy_and_an_abandoned_read_gives_its_slot_back()
    {
        await using var store = await StoreOnSidecar.StartAsync("originals-busy", new Dictionary<string, string>
        {
            // Long enough that only the caller's abandon ends the held read, however slow the machine.
            ["Images:CallTimeout"] = "00:05:00",
            ["Images:CallAttempts"] = "1",
            ["Images:MaxConcurrentReads"] = "1",
            ["Images:ReadQueueTimeout"] = "00:00:00",
        });
        var bytes = Payload(1000, 6);
        var name = "busy/a.jpg";
        Directory.CreateDirectory(Path.Combine(store.Blobs, "busy"));
        File.WriteAllBytes(Path.Combine(store.Blobs, name), bytes);
        var record = SampleRecords.Succeeded(name, version: BlobVersions.FromContentHash(Convert.ToHexStringLower(SHA256.HashData(bytes))));
        Assert.True((await store.Client.PutAsync($"/images/{record.Id}", new StringContent(JsonSerializer.Serialize(record, ContractJson.Options), Encoding.UTF8, "application/json"))).IsSuccessStatusCode);

        // The first read holds the only slot: its binding answer is lost, so it waits until its caller gives up.
        store.Sidecar.LoseNextBindingResponses(1);
        using var abandon = new CancellationTokenSource();
        var held = store.Client.GetAsync($"/images/{record.Id}/original", abandon.Token);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (store.Sidecar.BindingCallsOverGrpc == 0)
        {
            await Task.Delay(20, bound.Token);
        }

        var busy = await store.Client.GetAsync($"/images/{record.Id}/original");
        await abandon.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held);

        // The abandoned read ends with its request (its binding call is cancelled) and frees the slot.
        HttpResponseMessage again;
        while ((again = await store.Client.GetAsync($"/images/{record.Id}/original", bound.Token)).StatusCode == HttpStatusCode.ServiceUnavailable)
        {
            await Task.Delay(50, bound.Token);
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, busy.StatusCode);
        Assert.Equal("Originals busy", (await Problem(busy)).GetProperty("title").GetString());
        Assert.True(busy.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(bytes, await again.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task An_original_over_the_limit_answers_413_naming_it_and_the_default_limit_serves_every_upload()
    {
        await using var store = await StoreOnSidecar.StartAsync("originals-limit", new Dictionary<string, string>
        {
            ["Images:CallTimeout"] = "00:00:30",
            ["Images:CallAttempts"] = "1",
            ["Images:MaxBlobBytes"] = "4096",
        });
        async Task<HttpResponseMessage> Original(string name, byte[] bytes)
        {
            File.WriteAllBytes(Path.Combine(store.Blobs, name), bytes);
            var record = SampleRecords.Succeeded(name, version: BlobVersions.FromContentHash(Convert.ToHexStringLower(SHA256.HashData(bytes))));
            Assert.True((await store.Client.PutAsync($"/images/{record.Id}", new StringContent(JsonSerializer.Serialize(record, ContractJson.Options), Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
            return await store.Client.GetAsync($"/images/{record.Id}/original");
        }

        var within = await Original("small.jpg", Payload(4096, 1));
        var over = await Original("large.jpg", Payload(4097, 2));

        Assert.Equal(HttpStatusCode.OK, within.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, over.StatusCode);
        Assert.Contains("4096", (await Problem(over)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        // Unconfigured, the limit sits above the largest upload ingest accepts (its default MaxUploadBytes, 47 MiB).
        var defaults = _store.Factory.Services.GetRequiredService<IOptionsMonitor<BlobBindingOptions>>().Get(DaprTopology.Components.Images);
        Assert.Equal(64L * 1024 * 1024, defaults.MaxBlobBytes);
        Assert.True(defaults.MaxBlobBytes >= 47L * 1024 * 1024);
    }

    [Fact]
    public async Task Without_the_app_token_the_original_is_refused()
    {
        var record = await PutBlobAndRecord("token/a.jpg", Payload(100, 5), v => SampleRecords.Succeeded("token/a.jpg", version: v));
        using var anonymous = _store.Factory.CreateClient();

        var refused = await anonymous.GetAsync($"/images/{record.Id}/original");

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/images/{record.Id}/original")).StatusCode);
    }
}
