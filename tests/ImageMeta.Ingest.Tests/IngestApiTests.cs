using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr;
using ImageMeta.Testing.Workflow;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImageMeta.Ingest.Tests;

/// <summary>
/// Ingest's HTTP surface in process, against sidecar doubles (its own, with the workflow engine, and one for a
/// stand-in store that has no records) and a real images folder: what is written, what is started, what is refused.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "xUnit disposes through IAsyncLifetime.")]
public sealed class IngestApiTests : IAsyncLifetime
{
    private WorkflowEngineDouble _engine = null!;
    private SidecarNetwork _network = null!;
    private SidecarDouble _ingestSidecar = null!;
    private WebApplication _store = null!;
    private WebApplication _extractor = null!;
    private readonly System.Collections.Concurrent.ConcurrentQueue<ImageRecord> _saved = new();
    private int _extractCalls;
    private int _storePuts;

    /// <summary>What the stand-in store answers to PUT (the record is kept only on 2xx).</summary>
    private int _storePutStatus = StatusCodes.Status200OK;

    /// <summary>What the stand-in extractor answers: a status and, for errors, the problem's failure class.</summary>
    private (int Status, string? FailureClass) _extractAnswer = (StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable);
    /// <summary>What the stand-in extractor answers to <c>/thumbnail</c>, as for <c>/extract</c>.</summary>
    private (int Status, string? FailureClass) _thumbnailAnswer = (StatusCodes.Status200OK, null);
    private int _thumbnailCalls;

    /// <summary>
    /// When set, each of <c>/extract</c> and <c>/thumbnail</c> answers only once the other has been called (503 after
    /// a bounded wait): a workflow that calls them one after the other can then never get both.
    /// </summary>
    private bool _extractAndThumbnailMeet;
    private readonly TaskCompletionSource _extractArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _thumbnailArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplicationFactory<Program> _factory = null!;
    private HttpClient _http = null!;

    private string ImagesFolder => _network.Images.RootPath;

    public Task InitializeAsync() => StartAsync();

    private async Task StartAsync(string? appToken = null, string? daprToken = null, long? maxUpload = null, bool hostWorker = true, long? uploadBudget = null)
    {
        _engine = new WorkflowEngineDouble();
        _network = new SidecarNetwork(Directory.CreateTempSubdirectory("ingest-tests-").FullName);
        _store = await StartStandInAsync(DaprTopology.AppIds.Store, daprToken, app =>
        {
            app.MapGet("/images/{id}", () => Results.NotFound());
            app.MapPut("/images/{id}", (string id, ImageRecord record) =>
            {
                Interlocked.Increment(ref _storePuts);
                if (_storePutStatus is >= 200 and < 300)
                {
                    _saved.Enqueue(record);
                }

                return Results.Problem(statusCode: _storePutStatus, detail: $"stand-in store answers {_storePutStatus}");
            });
        });
        _extractor = await StartStandInAsync(DaprTopology.AppIds.Extractor, daprToken, app =>
        {
            MapExtractorMethod(app, "/extract", () => Interlocked.Increment(ref _extractCalls), () => _extractAnswer, blob => Metadata(blob), _extractArrived, _thumbnailArrived);
            MapExtractorMethod(app, "/thumbnail", () => Interlocked.Increment(ref _thumbnailCalls), () => _thumbnailAnswer, blob => Thumbnail(blob), _thumbnailArrived, _extractArrived);
        });
        _ingestSidecar = await _network.StartSidecarAsync(_engine.Attach(new SidecarOptions { AppId = DaprTopology.AppIds.Ingest, AppPort = LoopbackPorts.Free(), DaprApiToken = daprToken }));

        _factory = CreateIngest(appToken, maxUpload, hostWorker, uploadBudget: uploadBudget);
        _http = _factory.CreateClient();
        if (appToken is not null)
        {
            _http.DefaultRequestHeaders.Add("dapr-api-token", appToken);
        }
    }

    /// <summary>
    /// An ingest instance on the test's sidecar double. Several can run at once, as replicas do; only one should host
    /// the workflow worker (<paramref name="hostWorker"/>), since the engine double serves one worker stream.
    /// </summary>
    private WebApplicationFactory<Program> CreateIngest(
        string? appToken = null, long? maxUpload = null, bool hostWorker = true, IReadOnlyDictionary<string, string>? settings = null, bool shortStartTimeout = true, long? uploadBudget = null) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in _ingestSidecar.AppEnvironment())
            {
                web.UseSetting(key, value);
            }

            web.UseSetting("Blobs:BindingType", "localstorage");
            web.UseSetting("Blobs:LocalRootPath", ImagesFolder);
            web.UseSetting("Telemetry:ZipkinEndpoint", string.Empty);
            // Short retries so the workflow's outcomes show within a test.
            web.UseSetting("Ingest:RetryMaxAttempts", "3");
            web.UseSetting("Ingest:RetryFirstInterval", "00:00:00.100");
            web.UseSetting("Ingest:RetryMaxInterval", "00:00:00.200");
            if (appToken is not null)
            {
                web.UseSetting("APP_API_TOKEN", appToken);
            }

            if (maxUpload is { } max)
            {
                web.UseSetting("Ingest:MaxUploadBytes", max.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            if (uploadBudget is { } budget)
            {
                web.UseSetting("Ingest:UploadMemoryBudgetBytes", budget.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            web.ConfigureLogging(l => l.ClearProviders());
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                web.UseSetting(key, value);
            }

            if (!hostWorker)
            {
                // Ingest without its workflow worker: alone, the engine never confirms a start (it waits for a first turn).
                if (shortStartTimeout)
                {
                    web.UseSetting("Ingest:WorkflowStartTimeout", "00:00:01");
                }

                web.ConfigureServices(services =>
                {
                    foreach (var worker in services.Where(d => d.ServiceType == typeof(Microsoft.Extensions.Hosting.IHostedService)
                        && d.ImplementationType?.Namespace?.StartsWith("Dapr.Workflow", StringComparison.Ordinal) == true).ToList())
                    {
                        services.Remove(worker);
                    }
                });
            }
        });

    /// <summary>A loopback app standing in for <paramref name="appId"/>, with its own sidecar double on the network.</summary>
    private async Task<WebApplication> StartStandInAsync(string appId, string? daprToken, Action<WebApplication> map)
    {
        var port = LoopbackPorts.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        await _network.StartSidecarAsync(new SidecarOptions { AppId = appId, AppPort = port, DaprApiToken = daprToken });
        return app;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _factory.DisposeAsync();
        await _network.DisposeAsync();
        await _engine.DisposeAsync();
        await _store.DisposeAsync();
        await _extractor.DisposeAsync();
        Directory.Delete(ImagesFolder, recursive: true);
    }

    private async Task RestartAsync(string? appToken = null, string? daprToken = null, long? maxUpload = null, bool hostWorker = true, long? uploadBudget = null)
    {
        await DisposeAsync();
        await StartAsync(appToken, daprToken, maxUpload, hostWorker, uploadBudget);
    }

    [Fact]
    public async Task An_upload_whose_start_is_not_confirmed_in_time_is_stored_and_deferred_to_the_sweep()
    {
        await RestartAsync(hostWorker: false);
        var content = Encoding.UTF8.GetBytes("stored while no worker is connected");

        using var response = await UploadAsync("waiting.png", content);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("deferred-to-sweep", body.GetProperty("workflow").GetString());
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(ImagesFolder, "waiting.png")));
        // Nothing is lost: the instance exists and waits for a worker, and a sweep would find it known.
        var id = body.GetProperty("id").GetString()!;
        var view = await _engine.GetAsync(id, CancellationToken.None);
        Assert.Contains(view?.RuntimeStatus, new[] { "PENDING", "RUNNING" });
        using var sweep = await _http.PostAsync("/sweep", null);
        Assert.True(sweep.IsSuccessStatusCode);
        Assert.Single(_engine.StartedInstanceIds);
    }

    /// <summary>One stand-in extractor method: counts its calls, meets the other method when asked, then answers as set.</summary>
    private void MapExtractorMethod(
        WebApplication app, string path, Action count, Func<(int Status, string? FailureClass)> answer, Func<BlobReference, object> success,
        TaskCompletionSource arrived, TaskCompletionSource other) =>
        app.MapPost(path, async (BlobReference blob) =>
        {
            count();
            arrived.TrySetResult();
            if (_extractAndThumbnailMeet)
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

    private static IResult StandInProblem(int status, string? failureClass, string? why = null) =>
        Results.Problem(statusCode: status, detail: $"stand-in extractor: {why ?? failureClass}", extensions: new Dictionary<string, object?> { ["failureClass"] = failureClass });

    private static ImageThumbnail Thumbnail(BlobReference blob) => new()
    {
        Name = ImageThumbnail.NameFor(blob.ImageId),
        Width = 3,
        Height = 2,
        Bytes = 42,
        PerceptualHash = PerceptualHash.Format(0x8000_0000_0000_00ffUL),
    };

    private Task<HttpResponseMessage> UploadAsync(string name, byte[] content) =>
        _http.PostAsync($"/images?name={Uri.EscapeDataString(name)}", new ByteArrayContent(content));

    private static ImageMetadata Metadata(BlobReference blob) => new()
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

    private async Task<JsonElement> UploadAndWaitForWorkflowAsync(string name)
    {
        using var upload = await UploadAsync(name, Encoding.UTF8.GetBytes("bytes of " + name));
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        var id = (await upload.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await _engine.WaitForTerminalAsync(id, TimeSpan.FromSeconds(30));
        using var status = await _http.GetAsync($"/images/{id}/status");
        return await status.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task A_permanent_extraction_failure_is_saved_as_a_failed_record_after_one_call()
    {
        _extractAnswer = (StatusCodes.Status422UnprocessableEntity, FailureClass.Corrupt);

        var status = await UploadAndWaitForWorkflowAsync("broken.jpg");

        Assert.Equal("COMPLETED", status.GetProperty("workflow").GetProperty("runtimeStatus").GetString());
        var record = Assert.Single(_saved);
        Assert.Equal((ImageStatus.Failed, FailureClass.Corrupt), (record.Status, record.Failure?.Class));
        Assert.Contains("stand-in extractor", record.Failure!.Message, StringComparison.Ordinal);
        Assert.Equal(1, _extractCalls);
    }

    [Fact]
    public async Task An_extractor_that_stays_unavailable_is_retried_then_recorded_as_unavailable()
    {
        _extractAnswer = (StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable);

        await UploadAndWaitForWorkflowAsync("later.jpg");

        var record = Assert.Single(_saved);
        Assert.Equal((ImageStatus.Failed, FailureClass.Unavailable), (record.Status, record.Failure?.Class));
        Assert.Equal(3, _extractCalls);
    }

    [Fact]
    public async Task A_store_that_keeps_failing_fails_the_workflow_with_its_reason_in_the_status()
    {
        _extractAnswer = (StatusCodes.Status200OK, null);
        _storePutStatus = StatusCodes.Status503ServiceUnavailable;

        var status = await UploadAndWaitForWorkflowAsync("unsaved.png");

        var workflow = status.GetProperty("workflow");
        Assert.Equal("FAILED", workflow.GetProperty("runtimeStatus").GetString());
        Assert.Contains("SaveMetadata", workflow.GetProperty("failureMessage").GetString(), StringComparison.Ordinal);
        Assert.Contains("503", workflow.GetProperty("failureMessage").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, status.TryGetProperty("record", out var r) ? r.ValueKind : JsonValueKind.Null);
        Assert.Empty(_saved);
    }

    [Fact]
    public async Task A_record_the_store_refuses_fails_the_workflow_after_one_call_with_the_store_s_reason()
    {
        // The SDK's retry policy retries every failed activity; a refusal is therefore a typed outcome, not an exception.
        _extractAnswer = (StatusCodes.Status200OK, null);
        _storePutStatus = StatusCodes.Status400BadRequest;

        var status = await UploadAndWaitForWorkflowAsync("refused.png");

        var workflow = status.GetProperty("workflow");
        Assert.Equal("FAILED", workflow.GetProperty("runtimeStatus").GetString());
        Assert.Contains("refused the record", workflow.GetProperty("failureMessage").GetString(), StringComparison.Ordinal);
        Assert.Contains("stand-in store answers 400", workflow.GetProperty("failureMessage").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, Volatile.Read(ref _storePuts));
    }

    [Fact]
    public async Task The_workflow_input_carries_the_retry_policy_it_was_started_with()
    {
        _extractAnswer = (StatusCodes.Status200OK, null);

        var status = await UploadAndWaitForWorkflowAsync("policy.png");

        var input = JsonDocument.Parse(_engine.InputOf(status.GetProperty("id").GetString()!)!).RootElement;
        Assert.Equal("policy.png", input.GetProperty("blob").GetProperty("name").GetString());
        var retry = input.GetProperty("retry");
        Assert.Equal(3, retry.GetProperty("maxAttempts").GetInt32());
        Assert.Equal(TimeSpan.FromMilliseconds(100), TimeSpan.Parse(retry.GetProperty("firstInterval").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Concurrent_uploads_of_the_same_bytes_start_exactly_one_workflow()
    {
        // Both requests may pass the "is it known?" check before either starts; the engine then refuses the second
        // start (daprd's rule for a running id), which the starter must count as "already known", not as an error.
        _extractAnswer = (StatusCodes.Status200OK, null);
        var content = Encoding.UTF8.GetBytes("the same bytes, twice at once");

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await UploadAsync("twins.png", content);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("workflow").GetString();
        }));

        Assert.Equal(1, answers.Count(a => a == "started"));
        Assert.Equal(7, answers.Count(a => a == "already-known"));
        Assert.Single(_engine.StartedInstanceIds);
    }

    [Fact]
    public async Task A_good_image_is_saved_as_succeeded_with_the_extractor_s_metadata()
    {
        _extractAnswer = (StatusCodes.Status200OK, null);

        var status = await UploadAndWaitForWorkflowAsync("fine.png");

        Assert.Equal("COMPLETED", status.GetProperty("workflow").GetProperty("runtimeStatus").GetString());
        var record = Assert.Single(_saved);
        Assert.Equal(ImageStatus.Succeeded, record.Status);
        Assert.Equal((ImageFormats.Png, 3, 2), (record.Metadata?.Format, record.Metadata?.Width, record.Metadata?.Height));
        Assert.Equal("fine.png", record.Blob.Name);
    }

    [Fact]
    public async Task Extraction_and_thumbnail_run_in_parallel_and_the_record_carries_both()
    {
        // Each stand-in answers only once the other was called: a sequential workflow would get neither.
        _extractAnswer = (StatusCodes.Status200OK, null);
        _extractAndThumbnailMeet = true;

        var status = await UploadAndWaitForWorkflowAsync("both.png");

        Assert.Equal("COMPLETED", status.GetProperty("workflow").GetProperty("runtimeStatus").GetString());
        var record = Assert.Single(_saved);
        Assert.Equal(ImageStatus.Succeeded, record.Status);
        Assert.Equal(Thumbnail(record.Blob), record.Thumbnail);
        Assert.Null(record.ThumbnailFailure);
        Assert.Equal((1, 1), (_extractCalls, _thumbnailCalls));
    }

    [Fact]
    public async Task A_permanent_thumbnail_failure_keeps_the_image_succeeded_and_records_why_after_one_call()
    {
        _extractAnswer = (StatusCodes.Status200OK, null);
        _thumbnailAnswer = (StatusCodes.Status422UnprocessableEntity, FailureClass.TooLarge);

        var status = await UploadAndWaitForWorkflowAsync("huge.png");

        Assert.Equal("COMPLETED", status.GetProperty("workflow").GetProperty("runtimeStatus").GetString());
        var record = Assert.Single(_saved);
        Assert.Equal(ImageStatus.Succeeded, record.Status);
        Assert.NotNull(record.Metadata);
        Assert.Null(record.Thumbnail);
        Assert.Equal(FailureClass.TooLarge, record.ThumbnailFailure?.Class);
        Assert.Equal(1, _thumbnailCalls);
    }

    [Fact]
    public async Task A_thumbnail_that_stays_unavailable_is_retried_then_recorded_as_unavailable_without_failing_the_image()
    {
        _extractAnswer = (StatusCodes.Status200OK, null);
        _thumbnailAnswer = (StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable);

        await UploadAndWaitForWorkflowAsync("no-preview.png");

        var record = Assert.Single(_saved);
        Assert.Equal(ImageStatus.Succeeded, record.Status);
        Assert.Equal(FailureClass.Unavailable, record.ThumbnailFailure?.Class);
        Assert.Equal((1, 3), (_extractCalls, _thumbnailCalls));
    }

    private string[] FilesWritten() => [.. Directory.EnumerateFiles(ImagesFolder, "*", SearchOption.AllDirectories)];

    [Fact]
    public async Task An_upload_writes_the_blob_starts_its_workflow_and_answers_202_with_the_id_and_status_location()
    {
        var content = Encoding.UTF8.GetBytes("pretend image bytes");

        using var response = await UploadAsync("2026/cat.jpg", content);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var version = BlobVersions.FromContentHash(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)));
        var expectedId = ImageId.For("images", "2026/cat.jpg", version);
        Assert.Equal(expectedId.Value, body.GetProperty("id").GetString());
        Assert.Equal("started", body.GetProperty("workflow").GetString());
        Assert.Equal($"/images/{expectedId}/status", response.Headers.Location?.OriginalString);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(ImagesFolder, "2026", "cat.jpg")));
        Assert.Equal([expectedId.Value], _engine.StartedInstanceIds);
        Assert.Contains("2026/cat.jpg", _engine.InputOf(expectedId.Value), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_upload_twice_starts_one_workflow()
    {
        var content = Encoding.UTF8.GetBytes("same bytes");

        using var first = await UploadAsync("dup.png", content);
        using var second = await UploadAsync("dup.png", content);

        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal("already-known", (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("workflow").GetString());
        Assert.Single(_engine.StartedInstanceIds);
    }

    [Fact]
    public async Task A_multipart_upload_takes_the_file_and_its_name()
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent([1, 2, 3, 4]);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "file", "form-name.png");

        using var response = await _http.PostAsync("/images", form);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal([1, 2, 3, 4], await File.ReadAllBytesAsync(Path.Combine(ImagesFolder, "form-name.png")));
    }

    [Theory]
    [InlineData("../escape.jpg")]
    [InlineData("/etc/x.jpg")]
    [InlineData("a/../../b.jpg")]
    [InlineData("bell\u0007.jpg")]
    [InlineData("back\\slash.jpg")]
    [InlineData("")]
    public async Task Names_with_path_tricks_get_400_and_nothing_is_written(string name)
    {
        using var response = await UploadAsync(name, [1, 2, 3]);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(FilesWritten());
        Assert.Empty(_engine.StartedInstanceIds);
    }

    [Fact]
    public async Task An_empty_upload_gets_400_and_nothing_is_written()
    {
        using var response = await UploadAsync("empty.jpg", []);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(FilesWritten());
    }

    [Fact]
    public async Task An_upload_over_the_limit_gets_413_and_nothing_is_written()
    {
        await RestartAsync(maxUpload: 1000);

        using var response = await UploadAsync("big.jpg", new byte[5000]);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(FilesWritten());
    }

    [Fact]
    public async Task The_memory_budget_comes_back_after_a_failed_write()
    {
        // The sidecar double takes gRPC messages up to daprd's default 4 MiB: the base64 form of 4 MiB is more.
        const int size = 4 * 1024 * 1024;
        await RestartAsync(maxUpload: size, uploadBudget: size);
        var budget = _factory.Services.GetRequiredService<UploadBudget>();

        using var failed = await UploadAsync("too-big-for-the-sidecar.bin", new byte[size]);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Null(failed.Headers.RetryAfter);
        Assert.Equal(0, budget.Reserved);
        using (var afterFailure = await UploadAsync("after-failure.bin", [1, 2, 3]))
        {
            Assert.Equal(HttpStatusCode.Accepted, afterFailure.StatusCode);
        }
    }

    [Fact]
    public async Task Past_the_budget_an_upload_gets_503_with_Retry_After_reads_nothing_and_writes_nothing()
    {
        const int size = 1024 * 1024;
        await RestartAsync(maxUpload: size, uploadBudget: 2 * size);
        var budget = _factory.Services.GetRequiredService<UploadBudget>();
        // Uploads in flight hold all but one byte of the budget (what two maximum-size bodies being read would hold).
        using (var held = budget.TryReserve((2 * size) - 1))
        {
            Assert.NotNull(held);

            using var refused = await UploadAsync("over-budget.png", [1, 2, 3]);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(refused.Headers.RetryAfter?.Delta);
            Assert.Empty(FilesWritten());
            Assert.Empty(_engine.StartedInstanceIds);
            Assert.Equal((2 * size) - 1, budget.Reserved);
        }

        // Once the holders finish, the same upload is taken.
        using var accepted = await UploadAsync("over-budget.png", [1, 2, 3]);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(0, budget.Reserved);
    }

    [Fact]
    public async Task An_upload_whose_client_goes_away_mid_body_gives_its_share_of_the_budget_back()
    {
        const int size = 1024 * 1024;
        await RestartAsync(maxUpload: size, uploadBudget: size);
        var budget = _factory.Services.GetRequiredService<UploadBudget>();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/images?name=abandoned.png") { Content = new AbandonedContent(size) };

        await Assert.ThrowsAnyAsync<Exception>(() => _http.SendAsync(request));

        // Bounded: the server notices the aborted body and its handler ends.
        for (var i = 0; i < 100 && budget.Reserved != 0; i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(0, budget.Reserved);
        Assert.Empty(FilesWritten());
        using var next = await UploadAsync("next.png", [1, 2, 3]);
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

    [Fact]
    public async Task A_poison_queue_message_is_acknowledged_and_reported()
    {
        using var response = await _http.PostAsync("/image-events", new StringContent("this is not an event"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(string.IsNullOrEmpty((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("poison").GetString()));
        Assert.Empty(_engine.StartedInstanceIds);
    }

    [Fact]
    public async Task A_BlobCreated_event_for_an_existing_blob_starts_it_and_one_for_another_container_does_not()
    {
        await File.WriteAllBytesAsync(Path.Combine(ImagesFolder, "dropped.gif"), [7, 7, 7]);
        var events = JsonSerializer.Serialize(new[]
        {
            new { eventType = "Microsoft.Storage.BlobCreated", subject = "/blobServices/default/containers/images/blobs/dropped.gif", id = "1", eventTime = "2026-11-30T00:00:00Z", dataVersion = "", data = new { api = "PutBlob" } },
            new { eventType = "Microsoft.Storage.BlobCreated", subject = "/blobServices/default/containers/other/blobs/x.gif", id = "2", eventTime = "2026-11-30T00:00:00Z", dataVersion = "", data = new { api = "PutBlob" } },
            new { eventType = "Microsoft.Storage.BlobCreated", subject = "/blobServices/default/containers/images/blobs/gone.gif", id = "3", eventTime = "2026-11-30T00:00:00Z", dataVersion = "", data = new { api = "PutBlob" } },
        });

        using var response = await _http.PostAsync("/image-events", new StringContent(Convert.ToBase64String(Encoding.UTF8.GetBytes(events))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var handled = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((1, 1, 1), (handled.GetProperty("started").GetInt32(), handled.GetProperty("otherContainer").GetInt32(), handled.GetProperty("vanished").GetInt32()));
        Assert.Single(_engine.StartedInstanceIds);
    }

    [Fact]
    public async Task A_sweep_starts_blobs_nobody_started_and_a_second_sweep_starts_nothing()
    {
        foreach (var name in new[] { "s1.jpg", "sub/s2.jpg", "s3.jpg" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(ImagesFolder, name))!);
            await File.WriteAllBytesAsync(Path.Combine(ImagesFolder, name), Encoding.UTF8.GetBytes(name));
        }

        using var first = await _http.PostAsync("/sweep", null);
        using var second = await _http.PostAsync("/sweep", null);

        Assert.Equal(3, (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("started").GetInt32());
        Assert.Equal(0, (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("started").GetInt32());
        Assert.Equal(3, _engine.StartedInstanceIds.Count);
    }

    [Fact]
    public async Task Two_ingest_instances_sweeping_the_same_container_at_once_start_each_image_once_and_store_one_row()
    {
        _extractAnswer = (StatusCodes.Status200OK, null);
        var names = Enumerable.Range(0, 12).Select(i => $"replica-{i:D2}.png").ToList();
        foreach (var name in names)
        {
            await File.WriteAllBytesAsync(Path.Combine(ImagesFolder, name), Encoding.UTF8.GetBytes(name));
        }

        await _engine.WaitForWorkerAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        // A second replica: same app id, same workflow engine and state store behind it, its own process state.
        await using var replica = CreateIngest(hostWorker: false, shortStartTimeout: false);
        using var replicaHttp = replica.CreateClient();

        var sweeps = await Task.WhenAll(Enumerable.Range(0, 3).SelectMany(_ => new[] { _http, replicaHttp }).Select(async http =>
        {
            using var response = await http.PostAsync("/sweep", null);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            return body.ValueKind == JsonValueKind.Object ? body.GetProperty("started").GetInt32() : 0;
        }));

        Assert.Equal(names.Count, sweeps.Sum());
        Assert.Equal(names.Count, _engine.StartedInstanceIds.Count);
        Assert.Equal(names.Count, _engine.StartedInstanceIds.Distinct().Count());
        foreach (var id in _engine.StartedInstanceIds)
        {
            await _engine.WaitForTerminalAsync(id, TimeSpan.FromSeconds(30));
        }

        var rows = _saved.GroupBy(r => r.Id).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), rows.Select(r => r.Single().Blob.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_sweep_position_survives_an_ingest_restart()
    {
        // Pages of 2, at most 4 blobs a run: 8 blobs take two runs, and the second must continue, not start over.
        var settings = new Dictionary<string, string> { ["Ingest:SweepPageSize"] = "2", ["Ingest:SweepMaxBlobsPerRun"] = "4" };
        await RestartIngestAsync(settings);
        foreach (var i in Enumerable.Range(0, 8))
        {
            await File.WriteAllBytesAsync(Path.Combine(ImagesFolder, $"resume-{i}.png"), [(byte)i]);
        }

        var first = await SweepAsync();
        await RestartIngestAsync(settings);
        var second = await SweepAsync();

        Assert.Equal((4, 4, 0), (first.GetProperty("examined").GetInt32(), first.GetProperty("started").GetInt32(), first.GetProperty("known").GetInt32()));
        Assert.Equal((4, 4, 0), (second.GetProperty("examined").GetInt32(), second.GetProperty("started").GetInt32(), second.GetProperty("known").GetInt32()));
        Assert.Equal(8, _engine.StartedInstanceIds.Distinct().Count());
        // Kept under the app id, so every replica of ingest reads the same position.
        Assert.Equal(["ingest||sweep-position:images"], _network.State.Keys(DaprTopology.Components.SweepState));
    }

    [Fact]
    public async Task The_sidecar_double_state_api_answers_as_daprd_for_missing_keys_etags_and_unknown_stores()
    {
        using var dapr = new global::Dapr.Client.DaprClientBuilder().UseGrpcEndpoint(_ingestSidecar.GrpcEndpoint).Build();

        var (missing, noETag) = await dapr.GetStateAndETagAsync<string>(DaprTopology.Components.SweepState, "k");
        await dapr.SaveStateAsync(DaprTopology.Components.SweepState, "k", "a");
        var (value, etag) = await dapr.GetStateAndETagAsync<string>(DaprTopology.Components.SweepState, "k");
        var firstWins = await dapr.TrySaveStateAsync(DaprTopology.Components.SweepState, "k", "b", etag);
        var staleLoses = await dapr.TrySaveStateAsync(DaprTopology.Components.SweepState, "k", "c", etag);

        Assert.Null(missing);
        Assert.Equal(string.Empty, noETag);
        Assert.Equal("a", value);
        Assert.True(firstWins);
        Assert.False(staleLoses);
        Assert.Equal("b", await dapr.GetStateAsync<string>(DaprTopology.Components.SweepState, "k"));
        await Assert.ThrowsAsync<global::Dapr.DaprException>(() => dapr.GetStateAsync<string>("nosuchstore", "k"));
    }

    private async Task<JsonElement> SweepAsync()
    {
        using var response = await _http.PostAsync("/sweep", null);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Stops ingest and starts it again on the same sidecar, engine and state: a process restart.</summary>
    private async Task RestartIngestAsync(IReadOnlyDictionary<string, string> settings)
    {
        _http.Dispose();
        await _factory.DisposeAsync();
        _factory = CreateIngest(settings: settings);
        _http = _factory.CreateClient();
    }

    [Fact]
    public async Task Status_of_an_unknown_id_is_404_and_of_a_malformed_id_is_400()
    {
        using var unknown = await _http.GetAsync($"/images/{new string('a', 32)}/status");
        using var malformed = await _http.GetAsync("/images/not-an-id/status");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
    }

    [Fact]
    public async Task With_APP_API_TOKEN_set_calls_without_the_token_are_refused_except_health()
    {
        await RestartAsync(appToken: "app-secret");
        using var anonymous = _factory.CreateClient();

        using var refused = await anonymous.PostAsync("/images?name=x.jpg", new ByteArrayContent([1]));
        using var health = await anonymous.GetAsync("/healthz");
        using var accepted = await UploadAsync("x.jpg", [1]);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Single(FilesWritten());
    }

    [Fact]
    public async Task With_DAPR_API_TOKEN_set_every_call_to_the_sidecar_carries_it()
    {
        await RestartAsync(daprToken: "sidecar-secret");
        await _engine.WaitForWorkerAsync(TimeSpan.FromSeconds(30), CancellationToken.None);

        using var response = await UploadAsync("t.jpg", [1, 2]);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("started", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("workflow").GetString());
        Assert.Equal(0, _ingestSidecar.RejectedForMissingApiToken);
        Assert.Equal(1, _engine.ConnectedWorkers);
    }
}
