using ImageMeta.Blobs;
using ImageMeta.Contracts;
using ImageMeta.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace ImageMeta.Store.Service;

/// <summary>
/// The thumbnails container as the store reads it: the Dapr output binding <c>thumbnails</c> (get only), through
/// the blob adapter its component type needs, registered as the keyed <see cref="IBlobBinding"/>
/// <see cref="Key"/>. Configured from the <c>Thumbnails</c> section with the same keys as the extractor's and
/// ingest's <c>Blobs</c> section (<c>BindingType</c> <c>localstorage</c> or <c>azure.blobstorage</c>,
/// <c>BindingName</c>, <c>Container</c>, <c>CallTimeout</c>, <c>CallAttempts</c>, <c>MaxBlobBytes</c>).
/// </summary>
public static class ThumbnailBinding
{
    public const string SectionName = "Thumbnails";

    /// <summary>The service key (and options name) of the thumbnails binding.</summary>
    public const string Key = DaprTopology.Components.Thumbnails;

    public static IServiceCollection AddThumbnailBinding(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BlobBindingOptions>(Key)
            .Configure(o =>
            {
                o.BindingName = DaprTopology.Components.Thumbnails;
                o.Container = DaprTopology.Components.Thumbnails;
                o.MaxBlobBytes = ImageRecordValidator.MaxThumbnailBytes;
            })
            .Bind(configuration.GetSection(SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // Thumbnails are small: room for the largest one a record may state, plus framing.
        var maxMessageBytes = (int)ImageRecordValidator.MaxThumbnailBytes + (1 << 20);
        services.AddPipelineDaprClient(configuration, maxMessageBytes);
        services.AddKeyedSingleton<IBlobBinding>(Key, (provider, _) =>
        {
            var options = Options.Create(provider.GetRequiredService<IOptionsMonitor<BlobBindingOptions>>().Get(Key));
            var invoker = provider.GetKeyedService<IBindingInvoker>(Key) ?? new DaprBindingInvoker(
                ServiceDefaultsExtensions.SidecarEndpoint(configuration, "GRPC") ?? Dapr.DaprDefaults.GetDefaultGrpcEndpoint(configuration),
                ServiceDefaultsExtensions.DaprApiToken(configuration),
                maxMessageBytes,
                options);
            return options.Value.BindingType == BlobBindingOptions.AzureBlobStorage
                ? new AzureBlobStorageBinding(invoker, options)
                : new LocalStorageBlobBinding(invoker, options);
        });
        return services;
    }
}
