using ImageMeta.Blobs;
using ImageMeta.Contracts;
using ImageMeta.Workflow;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ImageMeta.Ingest;

/// <summary>Ingest's services: options, the blob binding, the calls to the other apps, the starter, the sweep, and the hosted workflow.</summary>
public static class IngestRegistration
{
    public static IServiceCollection AddIngestCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<IngestOptions>()
            .Bind(configuration.GetSection(IngestOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.RetryFirstInterval > TimeSpan.Zero && o.RetryMaxInterval >= o.RetryFirstInterval, "Ingest retry intervals must be positive and ordered.")
            .Validate(o => o.InvocationTimeout > TimeSpan.Zero, "Ingest:InvocationTimeout must be positive.")
            .ValidateOnStart();
        services.AddBlobBinding(configuration);
        services.AddSingleton<PipelineCalls>();
        services.AddSingleton<IngestMetrics>();
        services.AddSingleton<ImageWorkflowStarter>();
        services.AddSingleton<SweepRunner>();
        services.AddDaprWorkflow(o =>
        {
            o.RegisterWorkflow<ImageMetadataWorkflow>(DaprTopology.Workflows.ImageMetadata);
            o.RegisterActivity<ExtractMetadataActivity>(DaprTopology.Workflows.ExtractMetadataActivity);
            o.RegisterActivity<SaveMetadataActivity>(DaprTopology.Workflows.SaveMetadataActivity);
            o.JsonSerializerOptions = ContractJson.Options;
            // Work-item concurrency of the hosted worker (section Workflow); the defaults suit one ingest replica.
            configuration.GetSection("Workflow").Bind(o);
        });
        return services;
    }
}
