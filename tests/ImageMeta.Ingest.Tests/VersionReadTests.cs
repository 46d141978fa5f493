using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace ImageMeta.Ingest.Tests;

/// <summary>
/// On the local profile a blob's version is its content's hash, so learning it reads the blob: those reads stay within
/// their bound (at once, and in time), and a name that never answers (a FIFO) holds up neither its page nor the next.
/// </summary>
public sealed class VersionReadTests : IAsyncLifetime
{
    private readonly List<Fifo> _fifos = [];

    private IngestHarness H { get; set; } = null!;

    public async Task InitializeAsync() => H = await IngestHarness.StartAsync();

    public async Task DisposeAsync()
    {
        // Unblock the double's reads still waiting on a pipe.
        await Task.WhenAll(_fifos.Select(f => f.Release([0]).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default)));
        await H.DisposeAsync();
    }

    private async Task RestartAsync(IngestHarnessOptions options)
    {
        await H.DisposeAsync();
        H = await IngestHarness.StartAsync(options);
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline; await Task.Delay(20))
        {
            if (condition())
            {
                return;
            }
        }

        Assert.Fail($"Not within 30 s: {what}");
    }

    [Fact]
    public async Task Events_read_at_most_the_configured_number_of_blobs_at_once_to_learn_their_versions()
    {
        const int blobs = 6;
        for (var i = 0; i < blobs; i++)
        {
            _fifos.Add(await Fifo.CreateAsync(Path.Combine(H.ImagesFolder, $"held-{i}.png")));
        }

        var reads = H.Ingest.Services.GetRequiredService<VersionReads>();
        var deliveries = Enumerable.Range(0, blobs).Select(i => H.Http.PostAsync("/image-events", new StringContent(JsonSerializer.Serialize(new
        {
            eventType = "Microsoft.Storage.BlobCreated",
            subject = $"/blobServices/default/containers/images/blobs/held-{i}.png",
            id = $"{i}",
            eventTime = "2026-11-30T00:00:00Z",
            dataVersion = "",
            data = new { api = "PutBlob" },
        })))).ToList();

        // Two reads are held at the sidecar, the other four wait their turn in ingest.
        await Eventually(() => H.Network.Images.GetsInFlight == 2 && reads.Waiting == blobs - 2, "two reads in flight and four waiting");
        await Task.WhenAll(_fifos.Select((f, i) => f.Release(Encoding.UTF8.GetBytes($"blob {i}"))));
        var answers = await Task.WhenAll(deliveries);

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(blobs, H.Engine.StartedInstanceIds.Count);
        Assert.Equal(2, H.Network.Images.MaxGetsInFlight);
        _fifos.Clear();
    }

    [Fact]
    public async Task A_FIFO_in_the_images_folder_is_counted_unreadable_and_the_sweep_goes_on_to_the_later_pages()
    {
        await RestartAsync(new IngestHarnessOptions
        {
            Settings = new Dictionary<string, string?> { ["Ingest:VersionReadTimeout"] = "00:00:01", ["Ingest:SweepPageSize"] = "2" },
        });
        foreach (var name in new[] { "a.png", "b.png", "c.png", "d.png" })
        {
            await File.WriteAllBytesAsync(Path.Combine(H.ImagesFolder, name), Encoding.UTF8.GetBytes(name));
        }

        _fifos.Add(await Fifo.CreateAsync(Path.Combine(H.ImagesFolder, "b-pipe")));
        H.ExtractAnswer = (Microsoft.AspNetCore.Http.StatusCodes.Status200OK, null);

        var sweep = await H.SweepAsync();
        foreach (var id in H.Engine.StartedInstanceIds)
        {
            await H.Engine.WaitForTerminalAsync(id, TimeSpan.FromSeconds(30));
        }

        Assert.Equal(5, sweep.GetProperty("examined").GetInt32());
        Assert.Equal((4, 1), (sweep.GetProperty("started").GetInt32(), sweep.GetProperty("unreadable").GetInt32()));
        Assert.True(sweep.GetProperty("reachedEnd").GetBoolean());
        // The next run does not wait on it again until its backoff is over.
        var again = await H.SweepAsync();
        Assert.Equal((4, 1), (again.GetProperty("known").GetInt32(), again.GetProperty("unreadable").GetInt32()));
    }
}
