using Dapr.Workflow;
using ImageMeta.Blobs;
using ImageMeta.Contracts;
using ImageMeta.Dapr;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;

namespace ImageMeta.Ingest;

/// <summary>Ingest's services: options, the blob binding, the calls to the other apps, the starter, the sweep, and the hosted workflow.</summary>
public static class IngestRegistration
{
    /// <summary>The ActivitySource of the official Dapr.Workflow SDK (its worker's workflow and activity spans).</summary>
    public const string WorkflowActivitySourceName = "Dapr.Workflow";

    public static IServiceCollection AddIngestCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<IngestOptions>()
            .Bind(configuration.GetSection(IngestOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.RetryFirstInterval > TimeSpan.Zero && o.RetryMaxInterval >= o.RetryFirstInterval, "Ingest retry intervals must be positive and ordered.")
            .Validate(o => o.InvocationTimeout > TimeSpan.Zero, "Ingest:InvocationTimeout must be positive.")
            .Validate(o => o.WorkflowStartTimeout > TimeSpan.Zero, "Ingest:WorkflowStartTimeout must be positive.")
            .Validate(_ => BlobNameRule.NormalizationAvailable, "Ingest needs ICU for the blob name rule's NFC check: run it with InvariantGlobalization off (DOTNET_SYSTEM_GLOBALIZATION_INVARIANT unset) and ICU installed.")
            .Validate(o => o.UploadMemoryBudgetBytes >= o.MaxUploadBytes, "Ingest:UploadMemoryBudgetBytes must be at least Ingest:MaxUploadBytes, or a maximum-size upload could never be taken.")
            .ValidateOnStart();
        services.AddBlobBinding(configuration);
        // The sweep's position lives in a Dapr state store: the one DaprClient ingest resolves.
        services.AddSidecarDaprClient();
        foreach (var app in new[] { DaprTopology.AppIds.Extractor, DaprTopology.AppIds.Store })
        {
            services.AddAppCalls(app, o => o.Configure<IOptions<IngestOptions>>((call, ingest) => call.Deadline = ingest.Value.InvocationTimeout));
        }

        services.AddSingleton<ExtractorCalls>();
        services.AddSingleton<StoreCalls>();
        services.AddSingleton<IngestMetrics>();
        services.AddSingleton<UploadBudget>();
        services.AddSingleton<OutcomeRecorder>();
        services.AddSingleton<ImageWorkflowStarter>();
        services.AddSingleton<ImageDeletions>();
        services.AddSingleton<ReprocessingJobControl>();
        services.AddSingleton<ImageEventSlots>();
        services.AddSingleton<SweepPositions>();
        services.AddSingleton<VersionReads>();
        services.AddSingleton<RepairBackoff>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IStoredNames, StoredNames>();
        services.AddSingleton<IGoneRecords, GoneRecords>();
        services.AddSingleton<SweepReconciliation>();
        services.AddSingleton<SweepRunner>();
        // The official SDK hosts the worker (a hosted service holding the sidecar's work-item stream) and registers
        // DaprWorkflowClient. It finds the sidecar by DAPR_GRPC_ENDPOINT / DAPR_GRPC_PORT and sends DAPR_API_TOKEN,
        // the same rule DaprSidecar (src/ImageMeta.Dapr) applies to every other Dapr client here. How many workflow steps and
        // activities run at once is the sidecar's setting (Configuration spec.workflow), not the app's.
        services.AddDaprWorkflowBuilder(o =>
            {
                o.RegisterWorkflow<ImageMetadataWorkflow>(DaprTopology.Workflows.ImageMetadata);
                o.RegisterActivity<AnalyzeImageActivity>(DaprTopology.Workflows.AnalyzeImageActivity);
                o.RegisterActivity<ExtractMetadataActivity>(DaprTopology.Workflows.ExtractMetadataActivity);
                o.RegisterActivity<MakeThumbnailActivity>(DaprTopology.Workflows.MakeThumbnailActivity);
                o.RegisterActivity<SaveMetadataActivity>(DaprTopology.Workflows.SaveMetadataActivity);
                o.RegisterWorkflow<DeleteImageWorkflow>(DaprTopology.Workflows.DeleteImage);
                o.RegisterActivity<DeleteOriginalActivity>(DaprTopology.Workflows.DeleteOriginalActivity);
                o.RegisterActivity<DeleteRecordActivity>(DaprTopology.Workflows.DeleteRecordActivity);
                o.RegisterWorkflow<ReprocessingWorkflow>(DaprTopology.Workflows.Reprocessing);
                o.RegisterActivity<ReadReprocessingPageActivity>(DaprTopology.Workflows.ReadReprocessingPageActivity);
            })
            .WithJsonSerializer(ContractJson.Options);
        services.TryAddSingleton<IDaprWorkflowClient>(sp => sp.GetRequiredService<DaprWorkflowClient>());
        // The SDK's worker continues the trace the start call carried (execution-started event, then each activity
        // request) under its own ActivitySource: listening to it keeps one trace per image across the workflow.
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddSource(WorkflowActivitySourceName));
        return services;
    }
}
