using ImageMeta.Dapr;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ImageMeta.Blobs;

/// <summary>Registers <see cref="IBlobBinding"/> with the adapter that matches <c>Blobs:BindingType</c>.</summary>
public static class BlobBindingRegistration
{
    public static IServiceCollection AddBlobBinding(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BlobBindingOptions>()
            .Bind(configuration.GetSection(BlobBindingOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var maxBytes = configuration.GetSection(BlobBindingOptions.SectionName).Get<BlobBindingOptions>()?.MaxBlobBytes ?? new BlobBindingOptions().MaxBlobBytes;
        // Create requests carry base64 (4/3 of the bytes) plus framing; leave room for both.
        var maxMessageBytes = (int)Math.Min(int.MaxValue, maxBytes * 4 / 3 + (1 << 20));
        services.TryAddSingleton<IBindingInvoker>(provider => new DaprBindingInvoker(
            DaprSidecar.GrpcEndpoint(configuration),
            DaprSidecar.ApiToken(configuration),
            maxMessageBytes,
            provider.GetRequiredService<IOptions<BlobBindingOptions>>()));
        services.TryAddSingleton<IBlobBinding>(provider =>
            provider.GetRequiredService<IOptions<BlobBindingOptions>>().Value.BindingType == BlobBindingOptions.AzureBlobStorage
                ? ActivatorUtilities.CreateInstance<AzureBlobStorageBinding>(provider)
                : ActivatorUtilities.CreateInstance<LocalStorageBlobBinding>(provider));
        return services;
    }
}
