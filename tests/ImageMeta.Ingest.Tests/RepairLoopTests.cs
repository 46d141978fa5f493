using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageMeta.Contracts;
using Microsoft.AspNetCore.Http;

namespace ImageMeta.Ingest.Tests;

/// <summary>
/// Nothing lost: a run that failed (the store out past the retries), an outcome that says only that a service was
/// missing (<c>unavailable</c>), a name the store would refuse: each ends as one usable record, through the next trigger
/// or the sweep's repair loop, with backoff, and with no internal address in what is stored.
/// </summary>
public sealed class RepairLoopTests : IAsyncLifetime
{
    private IngestHarness H { get; set; } = null!;

    public async Task InitializeAsync() => H = await IngestHarness.StartAsync();

    public async Task DisposeAsync() => await H.DisposeAsync();

    private async Task RestartAsync(IngestHarnessOptions options)
    {
        await H.DisposeAsync();
        H = await IngestHarness.StartAsync(options);
    }

    private async Task<string> UploadAsync(string name, string expectedWorkflow)
    {
        using var response = await H.UploadAsync(name, Encoding.UTF8.GetBytes("bytes of " + name));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(expectedWorkflow, body.GetProperty("workflow").GetString());
        return body.GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task A_run_that_failed_because_the_store_was_out_is_not_known_the_same_upload_starts_it_again()
    {
        H.ExtractAnswer = (StatusCodes.Status200OK, null);
        H.StorePutStatus = StatusCodes.Status503ServiceUnavailable;
        var id = await UploadAsync("outage.png", "started");
        Assert.Equal("FAILED", (await H.Engine.WaitForTerminalAsync(id, TimeSpan.FromSeconds(30))).RuntimeStatus);

        H.StorePutStatus = StatusCodes.Status200OK;
        await UploadAsync("outage.png", "started");
        Assert.Equal("COMPLETED", (await H.Engine.WaitForTerminalAsync(id, TimeSpan.FromSeconds(30))).RuntimeStatus);

        Assert.Equal(ImageStatus.Succeeded, H.Records[id].Status);
        await UploadAsync("outage.png", "already-known");
    }

    [Fact]
    public async Task The_sweep_repairs_a_failed_run_once_the_store_is_back_and_then_knows_it()
    {
        H.ExtractAnswer = (StatusCodes.Status200OK, null);
        H.StorePutStatus = StatusCodes.Status503ServiceUnavailable;
        var id = await UploadAsync("later.png", "started");
        await H.Engine.WaitForTerminalAsync(id, TimeSpan.FromSeconds(30));
        H.StorePutStatus = StatusCodes.Status200OK;

        var repair = await H.SweepAsync();
        await H.Engine.WaitForTerminalAsync(id, TimeSpan.FromSeconds(30));
        var after = await H.SweepAsync();

        Assert.Equal((1, 0), (repair.GetProperty("repaired").GetInt32(), repair.GetProperty("started").GetInt32()));
        Assert.Equal(ImageStatus.Succeeded, H.Records[id].Status);
        Assert.Equal((0, 1), (after.GetProperty("repaired").GetInt32(), after.GetProperty("known").GetInt32()));
        // One question to the store per page, not one per blob.
        Assert.Equal(2, H.Lookups);
    }

    [Fact]
    public async Task An_unavailable_record_is_run_again_by_the_sweep_until_it_succeeds_and_its_message_names_no_address()
    {
        // What daprd answers when the target app is down, and what an app may say about its own storage: addresses.
        H.ExtractAnswer = (StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable);
        H.ExtractorDetail = "dial tcp 127.0.0.1:5020: connect: connection refused";
        var id = await UploadAsync("flaky.png", "started");
        await H.Engine.WaitForTerminalAsync(id, TimeSpan.FromSeconds(30));
        var unavailable = H.Records[id];
        Assert.Equal(FailureClass.Unavailable, unavailable.Failure?.Class);
        Assert.DoesNotContain("127.0.0.1", unavailable.Failure!.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("dial tcp", unavailable.Failure.Message, StringComparison.Ordinal);
        Assert.Contains("extractor", unavailable.Failure.Message, StringComparison.Ordinal);

        H.ExtractAnswer = (StatusCodes.Status200OK, null);
        var sweep = await H.SweepAsync();
        await H.Engine.WaitForTerminalAsync(id, TimeSpan.FromSeconds(30));

        Assert.Equal(1, sweep.GetProperty("repaired").GetInt32());
        Assert.Equal(ImageStatus.Succeeded, H.Records[id].Status);
        // The repair stored a usable record: its schedule is forgotten.
        Assert.DoesNotContain(H.Network.State.Keys(DaprTopology.Components.SweepState), k => k.Contains("repair:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Repairs_back_off_and_an_image_past_the_operator_s_limit_counts_on_the_unrecorded_gauge()
    {
        await RestartAsync(new IngestHarnessOptions
        {
            Settings = new Dictionary<string, string?> { ["Ingest:RepairFirstInterval"] = "01:00:00", ["Ingest:RepairAttemptsBeforeAlert"] = "1" },
        });
        H.ExtractAnswer = (StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable);
        var id = await UploadAsync("never.png", "started");
        await H.Engine.WaitForTerminalAsync(id, TimeSpan.FromSeconds(30));

        var first = await H.SweepAsync();
        await H.Engine.WaitForTerminalAsync(id, TimeSpan.FromSeconds(30));
        var second = await H.SweepAsync();

        Assert.Equal(1, first.GetProperty("repaired").GetInt32());
        Assert.Equal((0, 1), (second.GetProperty("repaired").GetInt32(), second.GetProperty("waiting").GetInt32()));
        Assert.Equal(2, H.Engine.StartedInstanceIds.Count(s => s == id));
        // The exporter answers a scrape from its last collection while a new one runs (and keeps an answer for a short
        // while), so a loaded machine may first show an older snapshot: scrape until the gauge shows, within a bound.
        var unrecorded = new System.Text.RegularExpressions.Regex(@"imagemeta_ingest_images_unrecorded(\{[^}]*\})? 1\b");
        var metrics = await H.Http.GetStringAsync("/metrics");
        for (var deadline = DateTime.UtcNow.AddSeconds(30); !unrecorded.IsMatch(metrics) && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(250);
            metrics = await H.Http.GetStringAsync("/metrics");
        }

        Assert.Matches(unrecorded, metrics);
    }

    [Fact]
    public async Task A_blob_whose_name_has_a_control_character_ends_as_a_failed_invalid_name_record_under_its_safe_name()
    {
        await File.WriteAllBytesAsync(Path.Combine(H.ImagesFolder, "bad\u0001name.png"), [1, 2, 3]);

        var sweep = await H.SweepAsync();
        var id = Assert.Single(H.Engine.StartedInstanceIds);
        await H.Engine.WaitForTerminalAsync(id, TimeSpan.FromSeconds(30));
        var again = await H.SweepAsync();

        Assert.Equal(1, sweep.GetProperty("started").GetInt32());
        var record = H.Records[id];
        Assert.Equal((ImageStatus.Failed, FailureClass.InvalidName), (record.Status, record.Failure?.Class));
        Assert.Equal("bad<U+0001>name.png", record.Blob.Name);
        Assert.Equal(0, H.ExtractCalls);
        Assert.Equal(1, again.GetProperty("known").GetInt32());
    }

    [Fact]
    public async Task While_a_step_is_retried_the_status_says_which_service_it_waits_for_and_until_when()
    {
        await RestartAsync(new IngestHarnessOptions
        {
            Settings = new Dictionary<string, string?> { ["Ingest:RetryFirstInterval"] = "00:00:05", ["Ingest:RetryMaxInterval"] = "00:00:05" },
        });
        H.ExtractAnswer = (StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable);
        var id = await UploadAsync("waiting.png", "started");

        JsonElement waiting = default;
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline;)
        {
            var status = await H.Http.GetFromJsonAsync<JsonElement>($"/images/{id}/status");
            if (status.GetProperty("workflow").TryGetProperty("waitingFor", out waiting))
            {
                break;
            }

            await Task.Delay(50);
        }

        Assert.Equal(JsonValueKind.Object, waiting.ValueKind);
        Assert.Equal("extractor", waiting.GetProperty("service").GetString());
        Assert.Equal(2, waiting.GetProperty("attempt").GetInt32());
        Assert.True(waiting.GetProperty("until").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddSeconds(-5));
        H.ExtractAnswer = (StatusCodes.Status200OK, null);
        await H.Engine.WaitForTerminalAsync(id, TimeSpan.FromSeconds(60));
        var done = await H.Http.GetFromJsonAsync<JsonElement>($"/images/{id}/status");
        Assert.False(done.GetProperty("workflow").TryGetProperty("waitingFor", out _));
    }
}
