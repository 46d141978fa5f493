using ImageMeta.Contracts;
using ImageMeta.ServiceDefaults;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace ImageMeta.Ingest.Service;

/// <summary>Ingest's registrations: its port, the core services, and request limits that match the upload limit.</summary>
public static class IngestServiceRegistration
{
    /// <summary>Room for multipart framing around the largest upload.</summary>
    internal const long MultipartOverheadBytes = 64 * 1024;

    public static WebApplicationBuilder AddIngest(this WebApplicationBuilder builder)
    {
        builder.ListenOnAppPort(DaprTopology.AppPorts.Ingest);

        builder.Services.AddIngestCore(builder.Configuration);
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<IngestOptions>>((kestrel, ingest) =>
            kestrel.Limits.MaxRequestBodySize = ingest.Value.MaxUploadBytes + MultipartOverheadBytes);
        return builder;
    }
}
