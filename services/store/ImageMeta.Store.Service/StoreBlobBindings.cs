using ImageMeta.Blobs;
using ImageMeta.Contracts;
using ImageMeta.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace ImageMeta.Store.Service;

/// <summary>
/// The blob containers the store reads (<c>get</c> only), each a Dapr output binding registered as the keyed
/// <see cref="IBlobBinding"/> under its component's name, through the adapter its component type needs:
/// <c>thumbnails</c> (the WebP previews, <c>GET /images/{id}/thumbnail</c>) from the <c>Thumbnails</c> section and
/// <c>images</c> (the originals, <c>GET /images/{id}/original</c>) from the <c>Images</c> section. Each section has the
/// keys of the extractor's and ingest's <c>Blobs</c> section (<c>BindingType</c> <c>localstorage</c> or
/// <c>azure.blobstorage</c>, <c>BindingName</c>, <c>Container</c>, <c>CallTimeout</c>, <c>CallAttempts</c>,
/// <c>MaxBlobBytes</c>); each binding has its own gRPC channel, sized for its largest blob.
/// </summary>
public static class StoreBlobBindings
{
    public const string ThumbnailsSection = "Thumbnails";

    public const string ImagesSection = "Images";

    public static IServiceCollection AddStoreBlobBindings(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddReadOnlyBlobBinding(configuration, DaprTopology.Components.Thumbnails, ThumbnailsSection, ImageRecordValidator.MaxThumbnailBytes);
        // An original is held in memory while it is sent (a get answers it in one message): up to the largest blob the
        // extractor reads, the Blobs section's default of 256 MiB.
        services.AddReadOnlyBlobBinding(configuration, DaprTopology.Components.Images, ImagesSection, new BlobBindingOptions().MaxBlobBytes);
        return services;
    }

    private static void AddReadOnlyBlobBinding(
        this IServiceCollection services, IConfiguration configuration, string componentName, string sectionName, long defaultMaxBlobBytes)
    {
        services.AddOptions<BlobBindingOptions>(componentName)
            .Configure(o =>
            {
                o.BindingName = componentName;
                o.Container = componentName;
                o.MaxBlobBytes = defaultMaxBlobBytes;
            })
            .Bind(configuration.GetSection(sectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // A get answers the raw bytes: room for the largest blob read, plus framing.
        var maxBlobBytes = configuration.GetSection(sectionName).GetValue<long?>(nameof(BlobBindingOptions.MaxBlobBytes)) ?? defaultMaxBlobBytes;
        var maxMessageBytes = (int)Math.Min(int.MaxValue, maxBlobBytes + (1 << 20));
        services.AddPipelineDaprClient(configuration, maxMessageBytes);
        services.AddKeyedSingleton<IBlobBinding>(componentName, (provider, _) =>
        {
            var options = Options.Create(provider.GetRequiredService<IOptionsMonitor<BlobBindingOptions>>().Get(componentName));
            var invoker = provider.GetKeyedService<IBindingInvoker>(componentName) ?? new DaprBindingInvoker(
                ServiceDefaultsExtensions.SidecarEndpoint(configuration, "GRPC") ?? Dapr.DaprDefaults.GetDefaultGrpcEndpoint(configuration),
                ServiceDefaultsExtensions.DaprApiToken(configuration),
                maxMessageBytes,
                options);
            return options.Value.BindingType == BlobBindingOptions.AzureBlobStorage
                ? new AzureBlobStorageBinding(invoker, options)
                : new LocalStorageBlobBinding(invoker, options);
        });
    }
}
