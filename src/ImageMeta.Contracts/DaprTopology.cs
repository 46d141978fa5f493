namespace ImageMeta.Contracts;

/// <summary>
/// Every name and number the services, <c>dapr.yaml</c>, the component files and the Kubernetes
/// manifests must agree on. Defined once here; the deploy tests check the YAML against it.
/// </summary>
public static class DaprTopology
{
    /// <summary>Dapr app ids (also the Kubernetes Deployment and Service names).</summary>
    public static class AppIds
    {
        public const string Ingest = "ingest";
        public const string Extractor = "extractor";
        public const string Store = "store";

        /// <summary>The pages people use; it calls ingest and store and is called by no sidecar.</summary>
        public const string Web = "web";

        public static IReadOnlyList<string> All { get; } = [Ingest, Extractor, Store, Web];
    }

    /// <summary>The port each app listens on (Dapr's <c>app-port</c>).</summary>
    public static class AppPorts
    {
        public const int Ingest = 5010;
        public const int Extractor = 5020;
        public const int Store = 5030;

        /// <summary>The web app: the README's "open http://localhost:5000".</summary>
        public const int Web = 5000;

        /// <summary>
        /// The web app's <c>/metrics</c> on Kubernetes (<c>Web__MetricsPort</c>): with sign-in on, the people-facing port
        /// asks the scraper to sign in, so the scraper gets a port of its own (OpenTelemetry's Prometheus exporter port).
        /// </summary>
        public const int WebMetrics = 9464;
    }

    /// <summary>Sidecar ports for local multi-app runs, where four sidecars share one machine.</summary>
    public static class SidecarPorts
    {
        public const int IngestHttp = 3510;
        public const int ExtractorHttp = 3520;
        public const int StoreHttp = 3530;
        public const int WebHttp = 3500;
        public const int IngestGrpc = 50010;
        public const int ExtractorGrpc = 50020;
        public const int StoreGrpc = 50030;
        public const int WebGrpc = 50000;
    }

    /// <summary>Dapr component names.</summary>
    public static class Components
    {
        /// <summary>Blob output binding: create and list (ingest), get (extractor).</summary>
        public const string Images = "images";

        /// <summary>
        /// Blob output binding for thumbnails: create (extractor), get (store). A container of its own, so a
        /// thumbnail never triggers a workflow.
        /// </summary>
        public const string Thumbnails = "thumbnails";

        /// <summary>Input binding: the storage queue Event Grid feeds with BlobCreated events.</summary>
        public const string ImageEvents = "image-events";

        /// <summary>Input binding: the cron schedule that triggers the sweep.</summary>
        public const string Sweep = "sweep";

        /// <summary>State store that holds workflow (actor) state.</summary>
        public const string WorkflowState = "workflowstate";

        /// <summary>State store that holds the sweep's position, shared by every ingest replica and kept across restarts.</summary>
        public const string SweepState = "sweepstate";
    }

    /// <summary>Methods one app invokes on another through Dapr service invocation.</summary>
    public static class Methods
    {
        /// <summary>
        /// Extractor: POST a <see cref="BlobReference"/>, get <see cref="ImageAnalysis"/>: one read of the blob gives its
        /// metadata and its thumbnail with renditions (written through the thumbnails binding). A permanent failure of
        /// either is a value in the answer; 503 problem (<c>unavailable</c>) means try again.
        /// </summary>
        public const string Analyze = "analyze";

        /// <summary>Extractor: POST a <see cref="BlobReference"/>, get <see cref="ImageMetadata"/>.</summary>
        public const string Extract = "extract";

        /// <summary>Extractor: POST a <see cref="BlobReference"/>, get <see cref="ImageThumbnail"/> (written through the thumbnails binding).</summary>
        public const string Thumbnail = "thumbnail";

        /// <summary>Store: <c>PUT images/{id}</c> upserts an <see cref="ImageRecord"/>; GET reads.</summary>
        public const string Images = "images";

        /// <summary>
        /// Store: <c>POST images/names</c> with an <see cref="ImageNamesRequest"/> answers an <see cref="ImageNamePage"/>: one
        /// container's current records in blob-name order, a keyset page at a time (the sweep's reconciliation).
        /// </summary>
        public const string ImageNames = "images/names";

        /// <summary>Ingest: <c>POST reprocessing</c> starts a job (<see cref="ReprocessingRequest"/>); <c>GET reprocessing/{id}</c> answers <see cref="ReprocessingJob"/>.</summary>
        public const string Reprocessing = "reprocessing";
    }

    /// <summary>Workflow and activity names as registered with the workflow engine.</summary>
    public static class Workflows
    {
        public const string ImageMetadata = "ImageMetadataWorkflow";
        /// <summary>The one extractor step: metadata, thumbnail and renditions from one blob read (<see cref="Methods.Analyze"/>).</summary>
        public const string AnalyzeImageActivity = "AnalyzeImage";
        public const string ExtractMetadataActivity = "ExtractMetadata";
        public const string MakeThumbnailActivity = "MakeThumbnail";
        public const string SaveMetadataActivity = "SaveMetadata";

        /// <summary>Removes an image's blob version, thumbnail, renditions and record (tombstoned), so a crash halfway is finished by the next attempt.</summary>
        public const string DeleteImage = "DeleteImageWorkflow";

        /// <summary>Delete step: the original blob, when its current version is still the one deleted.</summary>
        public const string DeleteOriginalActivity = "DeleteOriginal";

        /// <summary>Delete step: the store's <c>DELETE images/{id}</c> (record, thumbnail blobs, tombstone).</summary>
        public const string DeleteRecordActivity = "DeleteRecord";

        /// <summary>A reprocessing job: pages through the store and runs <see cref="ImageMetadata"/> for each match, at most N at once.</summary>
        public const string Reprocessing = "ReprocessingWorkflow";

        /// <summary>Reprocessing step: one keyset page of the store's records that match the job's filter.</summary>
        public const string ReadReprocessingPageActivity = "ReadReprocessingPage";
    }
}
