using System.ComponentModel.DataAnnotations;

namespace ImageMeta.Ingest;

/// <summary>Ingest's limits and the workflow's retry policy (configuration section <c>Ingest</c>), validated at start.</summary>
public sealed class IngestOptions
{
    public const string SectionName = "Ingest";

    /// <summary>
    /// Default of <see cref="MaxUploadBytes"/>: the largest size whose base64 form, with the request around it, fits the
    /// 64 MiB array the gRPC client rents for its copy (the pool rounds up to powers of two: 48 MiB would take 128 MiB),
    /// so the default pod holds a full budget of them (services/ingest/README.md, "Memory").
    /// </summary>
    public const long DefaultMaxUploadBytes = 47L * 1024 * 1024;

    /// <summary>Default of <see cref="UploadMemoryBudgetBytes"/>: three maximum-size uploads at once (or more smaller ones).</summary>
    public const long DefaultUploadMemoryBudgetBytes = 3 * DefaultMaxUploadBytes;

    /// <summary>Largest upload accepted by <c>POST /images</c> (at most 1 GiB: its base64 form must fit in one array).</summary>
    [Range(1, 1L * 1024 * 1024 * 1024)]
    public long MaxUploadBytes { get; set; } = DefaultMaxUploadBytes;

    /// <summary>
    /// Bytes of uploads held in memory at once; an upload reserves its declared length before its body is read, and one
    /// that does not fit gets 503 with <c>Retry-After</c>. At least <see cref="MaxUploadBytes"/>, so a maximum-size
    /// upload can be taken when nothing else is in flight.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long UploadMemoryBudgetBytes { get; set; } = DefaultUploadMemoryBudgetBytes;

    /// <summary>Seconds an upload refused for the memory budget is told to wait (<c>Retry-After</c>).</summary>
    [Range(1, 3600)]
    public int UploadRetryAfterSeconds { get; set; } = 5;

    /// <summary>
    /// The slowest an upload's body may arrive, once <see cref="UploadRateGracePeriod"/> has passed (Kestrel's per-request
    /// minimum body rate, averaged since the body started). An upload holds its share of the budget only while it keeps
    /// this pace, so a client that declares a large body and trickles it is cut off (408) and the share goes back. The
    /// default, 256 KiB/s (2 Mbit/s), lets a 47 MiB upload take three minutes.
    /// </summary>
    [Range(1, 1L << 30)]
    public double UploadMinBytesPerSecond { get; set; } = 256 * 1024;

    /// <summary>How long an upload's body may arrive at any pace before <see cref="UploadMinBytesPerSecond"/> applies.</summary>
    [Range(typeof(TimeSpan), "00:00:01.001", "00:10:00")]
    public TimeSpan UploadRateGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Blobs listed per page during a sweep (at most the store's lookup: one lookup call per page).</summary>
    [Range(1, 500)]
    public int SweepPageSize { get; set; } = 200;

    /// <summary>Blobs examined per sweep run; the next run continues where this one stopped.</summary>
    [Range(1, 1_000_000)]
    public int SweepMaxBlobsPerRun { get; set; } = 1000;

    /// <summary>
    /// Records a reprocessing job reads from the store per page: each page is one run of the job's workflow (it then
    /// continues as new), so this bounds the job's history.
    /// </summary>
    [Range(1, 500)]
    public int ReprocessingPageSize { get; set; } = 100;

    /// <summary>Reprocessing jobs <c>GET /reprocessing</c> lists (newest first); older ones drop out of the list but can still be read by id.</summary>
    [Range(1, 1000)]
    public int ReprocessingJobsListed { get; set; } = 100;

    /// <summary>
    /// Most records one sweep run deletes because their blob is gone from the container (the reconciliation); the rest wait
    /// for a later pass. A bound on what a wrongly configured binding (an empty folder, the wrong container) could do in
    /// one run. 0 turns the reconciliation off: then only BlobDeleted events remove records of deleted blobs.
    /// </summary>
    [Range(0, 1_000_000)]
    public int SweepMaxDeletionsPerRun { get; set; } = 1000;

    /// <summary>Blobs examined at once during a sweep.</summary>
    [Range(1, 64)]
    public int SweepParallelism { get; set; } = 4;

    /// <summary>
    /// Blob reads at once to learn versions where the binding has none but the content's hash (local storage), shared by
    /// events and the sweep: each holds a whole blob in memory.
    /// </summary>
    [Range(1, 64)]
    public int VersionReadConcurrency { get; set; } = 2;

    /// <summary>Time limit of learning one blob's version (a FIFO or a stalled share never answers).</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan VersionReadTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The repair loop's wait before the second attempt at an image without a usable record (the first is at once).</summary>
    [Range(typeof(TimeSpan), "00:00:00.01", "1.00:00:00")]
    public TimeSpan RepairFirstInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Cap on the repair loop's wait, which doubles after each attempt.</summary>
    [Range(typeof(TimeSpan), "00:00:00.01", "7.00:00:00")]
    public TimeSpan RepairMaxInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// After this many repair attempts, an image still without a usable record counts on the gauge
    /// <c>imagemeta.ingest.images_unrecorded</c>, which the "images without a record" alert watches: the operator's limit.
    /// </summary>
    [Range(1, 1000)]
    public int RepairAttemptsBeforeAlert { get; set; } = 5;

    /// <summary>Queue messages (BlobCreated events) handled at once; more wait for a slot.</summary>
    [Range(1, 256)]
    public int EventConcurrency { get; set; } = 16;

    /// <summary>The Dapr state store that keeps the sweep's position (shared by every replica, kept across restarts).</summary>
    [Required]
    public string SweepStateStore { get; set; } = ImageMeta.Contracts.DaprTopology.Components.SweepState;

    /// <summary>Attempts per activity, the first included.</summary>
    [Range(1, 100)]
    public int RetryMaxAttempts { get; set; } = 6;

    /// <summary>Wait before the first retry.</summary>
    public TimeSpan RetryFirstInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Factor applied to the wait after each retry.</summary>
    [Range(1.0, 10.0)]
    public double RetryBackoffCoefficient { get; set; } = 2.0;

    /// <summary>Cap on one wait.</summary>
    public TimeSpan RetryMaxInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a start may wait for the sidecar to confirm it (it confirms after the instance's first turn). Past it
    /// an upload answers <c>deferred-to-sweep</c> and a queue message is delivered again.
    /// </summary>
    public TimeSpan WorkflowStartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time limit for one call to the extractor or the store through Dapr.</summary>
    public TimeSpan InvocationTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The activities' retry policy, handed to each workflow in its input.</summary>
    public ActivityRetry ActivityRetry() => new(RetryMaxAttempts, RetryFirstInterval, RetryBackoffCoefficient, RetryMaxInterval);
}
