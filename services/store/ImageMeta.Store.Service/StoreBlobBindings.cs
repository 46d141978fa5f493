using ImageMeta.Blobs;
using ImageMeta.Contracts;

namespace ImageMeta.Store.Service;

/// <summary>
/// The blob containers the store reads (<c>get</c> only), each a Dapr output binding registered as the keyed
/// <see cref="IBlobBinding"/> under its component's name, through the adapter its component type needs:
/// <c>thumbnails</c> (the WebP previews, <c>GET /images/{id}/thumbnail</c>) from the <c>Thumbnails</c> section and
/// <c>images</c> (the originals, <c>GET /images/{id}/original</c>) from the <c>Images</c> section. Each section has the
/// keys of the extractor's and ingest's <c>Blobs</c> section (<c>BindingType</c> <c>localstorage</c> or
/// <c>azure.blobstorage</c>, <c>BindingName</c>, <c>Container</c>, <c>CallTimeout</c>, <c>CallAttempts</c>,
/// <c>MaxBlobBytes</c>); each binding has its own gRPC channel, sized for its largest blob
/// (<see cref="KeyedBlobBindingRegistration"/>).
/// </summary>
public static class StoreBlobBindings
{
    public const string ThumbnailsSection = "Thumbnails";

    public const string ImagesSection = "Images";

    /// <summary>
    /// Default of <c>Images:MaxBlobBytes</c>, 64 MiB: above ingest's upload limit (47 MiB), so every uploaded original
    /// can be served, while two reads in flight (<see cref="OriginalReadOptions.MaxConcurrentReads"/>), each held
    /// once as the gRPC answer and once as the response buffer, stay well inside the store's 512 MiB. A larger blob
    /// written straight into storage is answered 413, naming the limit.
    /// </summary>
    public const long DefaultMaxOriginalBytes = 64L * 1024 * 1024;

    public static IServiceCollection AddStoreBlobBindings(this IServiceCollection services, IConfiguration configuration) =>
        // Each binding gets its own gRPC channel, its messages sized for its own limit.
        services
            .AddKeyedBlobBinding(configuration, DaprTopology.Components.Images, ImagesSection, DefaultMaxOriginalBytes)
            .AddKeyedBlobBinding(configuration, DaprTopology.Components.Thumbnails, ThumbnailsSection, ImageRecordValidator.MaxThumbnailBytes);
}
