using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace ImageMeta.Ingest.Tests;

/// <summary>GET /images/{id}/status, and the app and sidecar tokens.</summary>
public sealed class StatusAndTokenTests : IAsyncLifetime
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
    public async Task Status_of_an_unknown_id_is_404_and_of_a_malformed_id_is_400()
    {
        using var unknown = await H.Http.GetAsync($"/images/{new string('a', 32)}/status");
        using var malformed = await H.Http.GetAsync("/images/not-an-id/status");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
    }

    [Fact]
    public async Task With_APP_API_TOKEN_set_calls_without_the_token_are_refused_except_health()
    {
        await RestartAsync(new IngestHarnessOptions { AppToken = "app-secret" });
        using var anonymous = H.Ingest.CreateClient();

        using var refused = await anonymous.PostAsync("/images?name=x.jpg", new ByteArrayContent([1]));
        using var health = await anonymous.GetAsync("/healthz");
        using var accepted = await H.UploadAsync("x.jpg", [1]);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Single(H.FilesWritten());
    }

    [Fact]
    public async Task With_DAPR_API_TOKEN_set_every_call_to_the_sidecar_carries_it()
    {
        await RestartAsync(new IngestHarnessOptions { DaprToken = "sidecar-secret" });
        await H.Engine.WaitForWorkerAsync(TimeSpan.FromSeconds(30), CancellationToken.None);

        using var response = await H.UploadAsync("t.jpg", [1, 2]);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("started", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("workflow").GetString());
        Assert.Equal(0, H.IngestSidecar.RejectedForMissingApiToken);
        Assert.Equal(1, H.Engine.ConnectedWorkers);
    }
}
