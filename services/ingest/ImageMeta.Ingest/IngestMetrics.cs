using System.Diagnostics.Metrics;
using ImageMeta.Contracts;
using ImageMeta.ServiceDefaults;

namespace ImageMeta.Ingest;

/// <summary>
/// Ingest's instruments (meter <c>ImageMeta.Ingest</c>): what the triggers started or skipped, what the queue could
/// not read, what uploads brought or were refused, what the sweep listed, and how each image ended and how long it
/// took from its blob's last change to its stored record. Labels are triggers, statuses and failure classes only.
/// </summary>
public sealed class IngestMetrics : IDisposable
{
    public const string MeterName = "ImageMeta.Ingest";

    /// <summary>The gauge the "images without a record" alert watches (Prometheus: <c>imagemeta_ingest_images_unrecorded</c>).</summary>
    public const string ImagesUnrecordedInstrument = "imagemeta.ingest.images_unrecorded";

    private readonly Meter _meter;
    private int _unrecordedObserved;

    public IngestMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        Started = _meter.CreateCounter<long>("imagemeta.ingest.workflows.started", "{workflow}", "Workflow instances scheduled, by trigger.");
        Duplicates = _meter.CreateCounter<long>("imagemeta.ingest.duplicates.skipped", "{trigger}", "Triggers for images already known (running, finished or stored), by trigger.");
        PoisonMessages = _meter.CreateCounter<long>("imagemeta.ingest.poison_messages", "{message}", "Queue messages that could not be read and were acknowledged and dropped.");
        UploadSize = _meter.CreateHistogram<long>("imagemeta.ingest.upload.size", "By", "Bytes of each accepted upload.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216, 67_108_864, 268_435_456] });
        UploadsRefused = _meter.CreateCounter<long>(UploadBudget.RefusedInstrument, "{upload}", "Uploads refused before their body was read, by reason (memory-budget, too-large).");
        SweepListed = _meter.CreateHistogram<long>("imagemeta.ingest.sweep.listed", "{blob}", "Blobs one sweep run listed and examined.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [0, 10, 100, 1_000, 10_000, 100_000] });
        SweepDuration = _meter.CreateHistogram("imagemeta.ingest.sweep.duration", "s", "Time one sweep run took (listing and starting).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricConventions.SecondsBuckets });
        SweepDeletions = _meter.CreateCounter<long>("imagemeta.ingest.sweep.deletions", "{image}",
            "Stored records whose blob version the sweep found gone from the container (not listed, and absent when asked again), deleted with their thumbnails.");
        Outcomes = _meter.CreateCounter<long>("imagemeta.ingest.workflow.outcomes", "{image}", "Images finished by their workflow, by status and failure class (error.type).");
        BlobToRecord = _meter.CreateHistogram("imagemeta.ingest.blob_to_record.duration", "s",
            "Time from the blob's last change (its creation, for a new image; the workflow's start where the storage reports no time) to its record being stored.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricConventions.SecondsBuckets });
    }

    public Counter<long> Started { get; }

    public Counter<long> Duplicates { get; }

    public Counter<long> PoisonMessages { get; }

    public Histogram<long> UploadSize { get; }

    /// <summary>Counted where the upload path refuses (memory budget, size); one definition, here.</summary>
    public Counter<long> UploadsRefused { get; }

    public Histogram<long> SweepListed { get; }

    public Histogram<double> SweepDuration { get; }

    /// <summary>Counted by the sweep's reconciliation (<see cref="SweepReconciliation"/>), once per delete it starts.</summary>
    public Counter<long> SweepDeletions { get; }

    public Counter<long> Outcomes { get; }

    /// <summary>
    /// Publishes the gauge of images past the repair loop's limit that still have no usable record
    /// (<see cref="RepairBackoff"/> keeps the count); once per meter.
    /// </summary>
    public void ObserveImagesUnrecorded(Func<long> count)
    {
        ArgumentNullException.ThrowIfNull(count);
        if (Interlocked.Exchange(ref _unrecordedObserved, 1) == 0)
        {
            _meter.CreateObservableGauge(ImagesUnrecordedInstrument, count, "{image}",
                "Blob versions the repair loop gave up on (run again Ingest:RepairAttemptsBeforeAlert times or more) that still have no usable record, as this replica's recent sweeps saw them.");
        }
    }

    public Histogram<double> BlobToRecord { get; }

    public static KeyValuePair<string, object?> TriggerTag(ImageTrigger trigger) => new(MetricConventions.Trigger, trigger.WireName());

    /// <summary>
    /// Records how an image ended, once SaveMetadata has an answer: the outcome by status (and failure class), and,
    /// when the record was stored, the time since <paramref name="since"/> (the blob's last change, or the workflow's
    /// start where the storage reports no time). An activity the engine runs again after a lost answer records again;
    /// that double count is as rare as the lost answer.
    /// </summary>
    public void RecordSaved(ImageRecord record, bool stored, DateTimeOffset? since, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        var status = stored ? record.Status : "rejected";
        var failure = stored ? record.Failure?.Class : null;
        var statusTag = new KeyValuePair<string, object?>(MetricConventions.Status, status);
        if (failure is null)
        {
            Outcomes.Add(1, statusTag);
        }
        else
        {
            Outcomes.Add(1, statusTag, new KeyValuePair<string, object?>(MetricConventions.ErrorType, failure));
        }

        if (stored && since is { } start && now >= start)
        {
            BlobToRecord.Record((now - start).TotalSeconds, statusTag);
        }
    }

    public void Dispose() => _meter.Dispose();
}
