using ImageMeta.Dapr;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ImageMeta.Blobs;

/// <summary>
/// A blob container beside (or instead of) the main <c>images</c> registration: an <see cref="IBlobBinding"/> registered
/// under the component's name as its service key, resolved with <c>[FromKeyedServices(name)]</c> or
/// <c>GetRequiredKeyedService&lt;IBlobBinding&gt;(name)</c>. Its options are named after the component too.
/// </summary>
public static class KeyedBlobBindingRegistration
{
    /// <summary>
    /// The extractor's second container (<c>thumbnails</c>): the <c>Blobs</c> section's binding type and call limits,
    /// its own component and container name, and the binding invoker of
    /// <see cref="BlobBindingRegistration.AddBlobBinding"/> (call that first).
    /// </summary>
    public static IServiceCollection AddKeyedBlobBinding(this IServiceCollection services, IConfiguration configuration, string componentName) =>
        services.AddKeyedBlobBinding(configuration, componentName, BlobBindingOptions.SectionName, maxBlobBytes: null);

    /// <summary>
    /// A container configured by its own section, with the keys of <c>Blobs</c> (<c>BindingType</c>, <c>BindingName</c>,
    /// <c>Container</c>, <c>CallTimeout</c>, <c>CallAttempts</c>, <c>MaxBlobBytes</c>); the component's name is the
    /// default binding and container name, and <paramref name="maxBlobBytes"/> (when given) the default size limit.
    /// Unless an <see cref="IBindingInvoker"/> is registered (keyed by the component, or shared), it gets its own gRPC
    /// channel, its messages sized for that limit: a <c>get</c> answers the raw bytes in one message.
    /// </summary>
    public static IServiceCollection AddKeyedBlobBinding(
        this IServiceCollection services, IConfiguration configuration, string componentName, string sectionName, long? maxBlobBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(componentName);
        var section = configuration.GetSection(sectionName);
        var options = services.AddOptions<BlobBindingOptions>(componentName);
        if (sectionName == BlobBindingOptions.SectionName)
        {
            // The images section's names and folder say nothing about this container: they are set after binding.
            options.Bind(section).Configure(o => Name(o, componentName, maxBlobBytes));
        }
        else
        {
            // Its own section: the component's names are defaults that the section may override.
            options.Configure(o => Name(o, componentName, maxBlobBytes)).Bind(section);
        }

        options.ValidateDataAnnotations().ValidateOnStart();

        var limit = section.GetValue<long?>(nameof(BlobBindingOptions.MaxBlobBytes)) ?? maxBlobBytes ?? new BlobBindingOptions().MaxBlobBytes;
        var maxMessageBytes = (int)Math.Min(int.MaxValue, limit + (1 << 20));
        services.AddKeyedSingleton<IBlobBinding>(componentName, (provider, _) =>
        {
            var named = Options.Create(provider.GetRequiredService<IOptionsMonitor<BlobBindingOptions>>().Get(componentName));
            var invoker = provider.GetKeyedService<IBindingInvoker>(componentName)
                ?? provider.GetService<IBindingInvoker>()
                ?? new DaprBindingInvoker(
                    DaprSidecar.GrpcEndpoint(configuration),
                    DaprSidecar.ApiToken(configuration),
                    maxMessageBytes,
                    named);
            return named.Value.BindingType == BlobBindingOptions.AzureBlobStorage
                ? new AzureBlobStorageBinding(invoker, named)
                : new LocalStorageBlobBinding(invoker, named);
        });
        return services;
    }

    private static void Name(BlobBindingOptions options, string componentName, long? maxBlobBytes)
    {
        options.BindingName = componentName;
        options.Container = componentName;
        // The images folder's root path says nothing about this one; list falls back to the container name.
        options.LocalRootPath = null;
        if (maxBlobBytes is { } limit)
        {
            options.MaxBlobBytes = limit;
        }
    }
}
