using ImageMeta.Blobs;
using ImageMeta.ServiceDefaults;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace ImageMeta.Extractor.Service;

/// <summary>The extractor's registrations: limits, the inspector, the blob binding, its metrics, and a request body limit that matches the byte limit.</summary>
public static class ExtractorRegistration
{
    public static WebApplicationBuilder AddExtractor(this WebApplicationBuilder builder)
    {
        builder.ListenOnAppPort(ImageMeta.Contracts.DaprTopology.AppPorts.Extractor);

        builder.Services.AddOptions<ExtractionOptions>()
            // A service refuses work it has no memory for (503, Retry-After) rather than queueing requests that hold their bodies.
            .Configure(o => o.WhenBusy = BusyPolicy.Refuse)
            .Bind(builder.Configuration.GetSection(ExtractionOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton(provider => new ImageInspector(provider.GetRequiredService<IOptions<ExtractionOptions>>().Value));
        builder.Services.AddBlobBinding(builder.Configuration);
        builder.AddThumbnails();
        builder.Services.AddSingleton<ExtractorMetrics>();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<ExtractionOptions>>((kestrel, extraction) =>
            kestrel.Limits.MaxRequestBodySize = extraction.Value.MaxBytes + 1);
        return builder;
    }
}
