using ImageMeta.Contracts;
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
        if (string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]) && string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls($"http://0.0.0.0:{DaprTopology.AppPorts.Ingest}");
        }

        builder.Services.AddIngestCore(builder.Configuration);
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<IngestOptions>>((kestrel, ingest) =>
            kestrel.Limits.MaxRequestBodySize = ingest.Value.MaxUploadBytes + MultipartOverheadBytes);
        return builder;
    }
}
