using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr;
using ImageMeta.Testing.Hosting;
using ImageMeta.Testing.Workflow;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ImageMeta.Ingest.Tests;

/// <summary>The store's lookup request.</summary>
public sealed record LookupIds(IReadOnlyList<string> Ids);

/// <summary>How an <see cref="IngestHarness"/> starts.</summary>
public sealed record IngestHarnessOptions
{
    public string? AppToken { get; init; }

    public string? DaprToken { get; init; }

    public long? MaxUpload { get; init; }

    public long? UploadBudget { get; init; }

    /// <summary>Whether this ingest hosts the workflow worker (the engine double serves one worker stream).</summary>
    public bool HostWorker { get; init; } = true;

    /// <summary>Extra configuration keys for ingest.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>Puts ingest on a real loopback socket (Kestrel) instead of the in-memory test server.</summary>
    public bool Kestrel { get; init; }
}

/// <summary>
/// Ingest in process against sidecar doubles (its own, with the workflow engine double, and one each for a stand-in
/// store and a stand-in extractor) and a real images folder: the set-up every ingest test shares. The stand-ins count
/// their calls and answer as the test sets them.
/// </summary>
public sealed class IngestHarness : IAsyncDisposable
{
    private readonly IngestHarnessOptions _options;
    private readonly List<IAsyncDisposable> _replicas = [];
    private WebApplication _store = null!;
    private WebApplication _extractor = null!;
    private int _extractCalls;
    private int _thumbnailCalls;
    private int _storePuts;
    private int _storeDeletes;
    private int _lookups;

    private IngestHarness(IngestHarnessOptions options)
    {
        _options = options;
        Network = new SidecarNetwork(Directory.CreateTempSubdirectory("ingest-tests-").FullName);
    }

    public WorkflowEngineDouble Engine { get; } = new();

    public SidecarNetwork Network { get; }

    public SidecarDouble IngestSidecar { get; private set; } = null!;

    public ServiceHost<Program> Ingest { get; private set; } = null!;

    /// <summary>A client for ingest (with the app token when one is set).</summary>
    public HttpClient Http { get; private set; } = null!;

    public string ImagesFolder => Network.Images.RootPath;

    /// <summary>Records the stand-in store keeps (only on a 2xx answer), by id: the latest save wins.</summary>
    public ConcurrentDictionary<string, ImageRecord> Records { get; } = new(StringComparer.Ordinal);

    /// <summary>Ids the stand-in store deleted (its tombstones).</summary>
    public ConcurrentDictionary<string, bool> Tombstones { get; } = new(StringComparer.Ordinal);

    /// <summary>How many <c>DELETE /images/{id}</c> calls the stand-in store answered.</summary>
    public int StoreDeletes => Volatile.Read(ref _storeDeletes);

    /// <summary>Every record the stand-in store accepted, in order (repeated saves included).</summary>
    public ConcurrentQueue<ImageRecord> Saved { get; } = new();

    /// <summary>What the stand-in store answers to PUT (the record is kept only on 2xx).</summary>
    public int StorePutStatus { get; set; } = StatusCodes.Status200OK;

    /// <summary>
    /// What the stand-in extractor answers to <c>/extract</c>, and for the metadata half of <c>/analyze</c>: a status and,
    /// for errors, the problem's failure class.
    /// </summary>
    public (int Status, string? FailureClass) ExtractAnswer { get; set; } = (StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable);

    /// <summary>What the stand-in extractor answers to <c>/thumbnail</c>, and for the thumbnail half of <c>/analyze</c>, as for <c>/extract</c>.</summary>
    public (int Status, string? FailureClass) ThumbnailAnswer { get; set; } = (StatusCodes.Status200OK, null);

    /// <summary>
    /// When set, each of <c>/extract</c> and <c>/thumbnail</c> answers only once the other has been called (503 after a
    /// bounded wait): a workflow that calls them one after the other can then never get both.
    /// </summary>
    public bool ExtractAndThumbnailMeet { get; set; }

    /// <summary>Calls of <c>/analyze</c> and <c>/extract</c>: each is one extraction.</summary>
    public int ExtractCalls => Volatile.Read(ref _extractCalls);

    public int ThumbnailCalls => Volatile.Read(ref _thumbnailCalls);

    public int StorePuts => Volatile.Read(ref _storePuts);

    /// <summary>How many <c>POST /images/lookup</c> calls the stand-in store answered.</summary>
    public int Lookups => Volatile.Read(ref _lookups);

    private TaskCompletionSource ExtractArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TaskCompletionSource ThumbnailArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<IngestHarness> StartAsync(IngestHarnessOptions? options = null)
    {
        var harness = new IngestHarness(options ?? new IngestHarnessOptions());
        try
        {
            await harness.StartCoreAsync();
            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync()
    {
        _store = await StartStandInAsync(DaprTopology.AppIds.Store, app =>
        {
            // As the store: a deleted id answers 410 (failureClass deleted) while its tombstone is kept, and a save of it 409.
            app.MapGet("/images/{id}", (string id) => Tombstones.ContainsKey(id)
                ? StoreProblem(StatusCodes.Status410Gone, FailureClass.Deleted)
                : Records.TryGetValue(id, out var record) ? Results.Json(record, ContractJson.Options) : Results.NotFound());
            // As the store's list query with container, name and versions=all: every stored version of one name.
            app.MapGet("/images", (string? container, string? name) => Results.Json(
                new ImagePage([.. Records.Values.Where(r => r.Blob.Container == container && r.Blob.Name == name)], null), ContractJson.Options));
            app.MapDelete("/images/{id}", (string id) =>
            {
                Interlocked.Increment(ref _storeDeletes);
                Records.TryRemove(id, out _);
                Tombstones[id] = true;
                return Results.NoContent();
            });
            app.MapPost("/images/lookup", (LookupIds request) =>
            {
                Interlocked.Increment(ref _lookups);
                var found = request.Ids.Where(Records.ContainsKey).Select(id => Records[id]).Select(r => new
                {
                    id = r.Id.Value,
                    status = r.Status,
                    failureClass = r.Failure?.Class,
                    extractorVersion = r.ExtractorVersion,
                    blob = r.Blob,
                });
                return Results.Json(new { records = found }, ContractJson.Options);
            });
            app.MapPut("/images/{id}", (string id, ImageRecord record) =>
            {
                Interlocked.Increment(ref _storePuts);
                // As the store's validator: names are plain text (no control characters).
                if (record.Blob.Name.Any(char.IsControl))
                {
                    return Results.Problem(statusCode: StatusCodes.Status400BadRequest, detail: "blob.name must be plain text");
                }

                if (Tombstones.ContainsKey(id))
                {
                    return StoreProblem(StatusCodes.Status409Conflict, FailureClass.Deleted);
                }

                if (StorePutStatus is >= 200 and < 300)
                {
                    Records[id] = record;
                    Saved.Enqueue(record);
                }

                return Results.Problem(statusCode: StorePutStatus, detail: $"stand-in store answers {StorePutStatus}");
            });
        });
        _extractor = await StartStandInAsync(DaprTopology.AppIds.Extractor, app =>
        {
            MapExtractorMethod(app, "/extract", () => Interlocked.Increment(ref _extractCalls), () => ExtractAnswer, blob => Metadata(blob), ExtractArrived, ThumbnailArrived);
            MapExtractorMethod(app, "/thumbnail", () => Interlocked.Increment(ref _thumbnailCalls), () => ThumbnailAnswer, blob => Thumbnail(blob), ThumbnailArrived, ExtractArrived);
            app.MapPost("/" + DaprTopology.Methods.Analyze, Analyze);
        });
        IngestSidecar = await Network.StartSidecarAsync(Engine.Attach(new SidecarOptions { AppId = DaprTopology.AppIds.Ingest, AppPort = LoopbackPorts.Free(), DaprApiToken = _options.DaprToken }));
        Ingest = CreateIngest(_options);
        if (_options.Kestrel)
        {
            Ingest.UseKestrel(0);
        }

        Http = Ingest.CreateClient();
        if (_options.AppToken is not null)
        {
            Http.DefaultRequestHeaders.Add(ImageMeta.Dapr.DaprSidecar.ApiTokenHeader, _options.AppToken);
        }
    }

    /// <summary>
    /// An ingest instance on the harness's sidecar double. Several can run at once, as replicas do; only one should host
    /// the workflow worker (<see cref="IngestHarnessOptions.HostWorker"/>), since the engine double serves one worker stream.
    /// </summary>
    public ServiceHost<Program> CreateIngest(IngestHarnessOptions options, bool shortStartTimeout = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        var host = new ServiceHost<Program>().OnSidecar(IngestSidecar)
            .With("Blobs:BindingType", "localstorage")
            .With("Blobs:LocalRootPath", ImagesFolder)
            // Short retries so the workflow's outcomes show within a test.
            .With("Ingest:RetryMaxAttempts", 3)
            .With("Ingest:RetryFirstInterval", "00:00:00.100")
            .With("Ingest:RetryMaxInterval", "00:00:00.200");
        if (options.AppToken is not null)
        {
            host.With("APP_API_TOKEN", options.AppToken);
        }

        if (options.MaxUpload is { } max)
        {
            host.With("Ingest:MaxUploadBytes", max);
        }

        if (options.UploadBudget is { } budget)
        {
            host.With("Ingest:UploadMemoryBudgetBytes", budget);
        }

        host.With(options.Settings);
        if (!options.HostWorker)
        {
            // Ingest without its workflow worker: alone, the engine never confirms a start (it waits for a first turn).
            if (shortStartTimeout)
            {
                host.With("Ingest:WorkflowStartTimeout", "00:00:01");
            }

            host.WithServices(services =>
            {
                foreach (var worker in services.Where(d => d.ServiceType == typeof(Microsoft.Extensions.Hosting.IHostedService)
                    && d.ImplementationType?.Namespace?.StartsWith("Dapr.Workflow", StringComparison.Ordinal) == true).ToList())
                {
                    services.Remove(worker);
                }
            });
        }

        return host;
    }

    /// <summary>A second ingest replica on the same sidecar, engine and state (without the worker), disposed with the harness.</summary>
    public HttpClient StartReplica(bool shortStartTimeout = true)
    {
        var replica = CreateIngest(_options with { HostWorker = false }, shortStartTimeout);
        _replicas.Add(replica);
        return replica.CreateClient();
    }

    /// <summary>Stops ingest and starts it again on the same sidecar, engine and state: a process restart.</summary>
    public async Task RestartIngestAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        Http.Dispose();
        await Ingest.DisposeAsync();
        Ingest = CreateIngest(_options with { Settings = settings ?? _options.Settings });
        Http = Ingest.CreateClient();
    }

    public Task<HttpResponseMessage> UploadAsync(string name, byte[] content) =>
        Http.PostAsync($"/images?name={Uri.EscapeDataString(name)}", new ByteArrayContent(content));

    /// <summary>Uploads, waits for the workflow to end, and answers ingest's status of it.</summary>
    public async Task<JsonElement> UploadAndWaitForWorkflowAsync(string name)
    {
        using var upload = await UploadAsync(name, Encoding.UTF8.GetBytes("bytes of " + name));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, upload.StatusCode);
        var id = (await upload.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await Engine.WaitForTerminalAsync(id, TimeSpan.FromSeconds(30));
        using var status = await Http.GetAsync($"/images/{id}/status");
        return await status.Content.ReadFromJsonAsync<JsonElement>();
    }

    public string[] FilesWritten() => [.. Directory.EnumerateFiles(ImagesFolder, "*", SearchOption.AllDirectories)];

    public async Task<JsonElement> SweepAsync(HttpClient? http = null)
    {
        using var response = await (http ?? Http).PostAsync("/sweep", null);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public static ImageThumbnail Thumbnail(BlobReference blob) => new()
    {
        Name = ImageThumbnail.NameFor(blob.ImageId),
        Width = 3,
        Height = 2,
        Bytes = 42,
        PerceptualHash = PerceptualHash.Format(0x8000_0000_0000_00ffUL),
    };

    public static ImageMetadata Metadata(BlobReference blob) => new()
    {
        Format = ImageFormats.Png,
        MimeType = "image/png",
        Width = 3,
        Height = 2,
        DisplayWidth = 3,
        DisplayHeight = 2,
        FrameCount = 1,
        HasAlpha = false,
        ColorType = "rgba8888",
        Orientation = 1,
        ByteSize = blob.Size ?? 0,
        Sha256 = new string('0', 64),
    };

    /// <summary>A loopback app standing in for <paramref name="appId"/>, with its own sidecar double on the network.</summary>
    private async Task<WebApplication> StartStandInAsync(string appId, Action<WebApplication> map)
    {
        var port = LoopbackPorts.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        await Network.StartSidecarAsync(new SidecarOptions { AppId = appId, AppPort = port, DaprApiToken = _options.DaprToken });
        return app;
    }

    /// <summary>
    /// The stand-in's <c>/analyze</c>, as the extractor answers it (AnalyzeApi): a transient answer of either half is the
    /// whole call's 503 problem; permanent failures are values in a 200 <see cref="ImageAnalysis"/> (an image whose
    /// metadata failed has no thumbnail either). Counted as an extraction (<see cref="ExtractCalls"/>).
    /// </summary>
    private IResult Analyze(BlobReference blob)
    {
        Interlocked.Increment(ref _extractCalls);
        var (extractStatus, extractClass) = ExtractAnswer;
        var (thumbnailStatus, thumbnailClass) = ThumbnailAnswer;
        if (extractStatus != StatusCodes.Status200OK && !FailureClass.Permanent.Contains(extractClass ?? string.Empty))
        {
            return StandInProblem(extractStatus, extractClass);
        }

        if (thumbnailStatus != StatusCodes.Status200OK && !FailureClass.Permanent.Contains(thumbnailClass ?? string.Empty))
        {
            return StandInProblem(thumbnailStatus, thumbnailClass);
        }

        ProcessingFailure Failure(string failureClass) => new(failureClass, ExtractorDetail ?? $"stand-in extractor: {failureClass}");
        var analysis = extractStatus != StatusCodes.Status200OK
            ? new ImageAnalysis { Failure = Failure(extractClass!), ThumbnailFailure = Failure(extractClass!), ExtractorVersion = ExtractorVersions.Current }
            : new ImageAnalysis
            {
                Metadata = Metadata(blob),
                Thumbnail = thumbnailStatus == StatusCodes.Status200OK ? Thumbnail(blob) : null,
                ThumbnailFailure = thumbnailStatus == StatusCodes.Status200OK ? null : Failure(thumbnailClass!),
                ExtractorVersion = ExtractorVersions.Current,
            };
        return Results.Json(analysis, ContractJson.Options);
    }

    /// <summary>One stand-in extractor method: counts its calls, meets the other method when asked, then answers as set.</summary>
    private void MapExtractorMethod(
        WebApplication app, string path, Action count, Func<(int Status, string? FailureClass)> answer, Func<BlobReference, object> success,
        TaskCompletionSource arrived, TaskCompletionSource other) =>
        app.MapPost(path, async (BlobReference blob) =>
        {
            count();
            arrived.TrySetResult();
            if (ExtractAndThumbnailMeet)
            {
                try
                {
                    await other.Task.WaitAsync(TimeSpan.FromSeconds(5));
                }
                catch (TimeoutException)
                {
                    return StandInProblem(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable, $"{path} was not called in parallel with the other method");
                }
            }

            var (status, failureClass) = answer();
            return status == StatusCodes.Status200OK ? Results.Json(success(blob), ContractJson.Options) : StandInProblem(status, failureClass);
        });

    private static IResult StoreProblem(int status, string failureClass) =>
        Results.Problem(statusCode: status, detail: $"stand-in store: {failureClass}", extensions: new Dictionary<string, object?> { ["failureClass"] = failureClass });

    private IResult StandInProblem(int status, string? failureClass, string? why = null) =>
        Results.Problem(statusCode: status, detail: ExtractorDetail ?? $"stand-in extractor: {why ?? failureClass}", extensions: new Dictionary<string, object?> { ["failureClass"] = failureClass });

    /// <summary>When set, the detail of the stand-in extractor's problem answers (for example, text naming an internal address).</summary>
    public string? ExtractorDetail { get; set; }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync();
        }

        if (Ingest is not null)
        {
            await Ingest.DisposeAsync();
        }

        await Network.DisposeAsync();
        await Engine.DisposeAsync();
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        if (_extractor is not null)
        {
            await _extractor.DisposeAsync();
        }

        try
        {
            Directory.Delete(ImagesFolder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Never created.
        }
    }
}
