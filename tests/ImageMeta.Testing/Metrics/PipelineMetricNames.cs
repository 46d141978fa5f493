namespace ImageMeta.Testing.Metrics;

/// <summary>
/// Our instruments as Prometheus shows them (OpenTelemetry's exporter: dots become underscores, the unit is appended
/// as a word, counters end in <c>_total</c>, histograms are <c>_bucket</c>/<c>_sum</c>/<c>_count</c> series). The
/// end-to-end test finds them in a real Prometheus; the deploy tests hold the alerts and the dashboard to them.
/// </summary>
public static class PipelineMetricNames
{
    public const string WorkflowsStarted = "imagemeta_ingest_workflows_started_total";
    public const string DuplicatesSkipped = "imagemeta_ingest_duplicates_skipped_total";
    public const string PoisonMessages = "imagemeta_ingest_poison_messages_total";
    public const string UploadSize = "imagemeta_ingest_upload_size_bytes";
    public const string UploadsRefused = "imagemeta_ingest_uploads_refused_total";
    public const string SweepListed = "imagemeta_ingest_sweep_listed";
    public const string SweepDuration = "imagemeta_ingest_sweep_duration_seconds";
    public const string WorkflowOutcomes = "imagemeta_ingest_workflow_outcomes_total";
    public const string BlobToRecord = "imagemeta_ingest_blob_to_record_duration_seconds";

    /// <summary>A gauge: blob versions the repair loop gave up on (past the operator's limit) that still have no record.</summary>
    public const string ImagesUnrecorded = "imagemeta_ingest_images_unrecorded";
    public const string ExtractionDuration = "imagemeta_extractor_extraction_duration_seconds";
    public const string BytesRead = "imagemeta_extractor_read_size_bytes_total";
    public const string ExtractorFailures = "imagemeta_extractor_failures_total";
    public const string Extracted = "imagemeta_extractor_extracted_total";
    public const string ThumbnailDuration = "imagemeta_extractor_thumbnail_duration_seconds";
    public const string Upserts = "imagemeta_store_upserts_total";
    public const string StoreOperationDuration = "imagemeta_store_operation_duration_seconds";
    public const string DatabaseUnavailable = "imagemeta_store_database_unavailable_total";

    /// <summary>Histograms: each is three series in Prometheus.</summary>
    public static IReadOnlyList<string> Histograms { get; } =
        [UploadSize, SweepListed, SweepDuration, BlobToRecord, ExtractionDuration, ThumbnailDuration, StoreOperationDuration];

    /// <summary>Our attribute names as Prometheus labels (ServiceDefaults' MetricConventions, StoreMetrics).</summary>
    public static IReadOnlySet<string> Labels { get; } = new HashSet<string>(
        ["imagemeta_trigger", "imagemeta_image_status", "imagemeta_image_format", "imagemeta_upsert_outcome"], StringComparer.Ordinal);

    /// <summary>Every series name our meters can produce.</summary>
    public static IReadOnlySet<string> All { get; } = new HashSet<string>(
        new[] { WorkflowsStarted, DuplicatesSkipped, PoisonMessages, UploadsRefused, WorkflowOutcomes, ImagesUnrecorded, BytesRead, ExtractorFailures, Extracted, Upserts, DatabaseUnavailable }
            .Concat(Histograms.SelectMany(h => new[] { h + "_bucket", h + "_sum", h + "_count" })),
        StringComparer.Ordinal);
}
