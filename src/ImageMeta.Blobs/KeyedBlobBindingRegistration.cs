using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ImageMeta.Blobs;

/// <summary>
/// A second blob container beside <c>images</c> (the <c>thumbnails</c> binding): an <see cref="IBlobBinding"/>
/// registered under the component's name as its service key, speaking the same binding type with the same call
/// limits as the <c>Blobs</c> section, only with its own component and container name. Resolve it with
/// <c>[FromKeyedServices(name)]</c> or <c>GetRequiredKeyedService&lt;IBlobBinding&gt;(name)</c>. Call after
/// <see cref="BlobBindingRegistration.AddBlobBinding"/>, whose binding invoker it shares.
/// </summary>
public static class KeyedBlobBindingRegistration
{
    public static IServiceCollection AddKeyedBlobBinding(this IServiceCollection services, IConfiguration configuration, string componentName)
    {
        ArgumentException.ThrowIfNullOrEmpty(componentName);
        services.AddOptions<BlobBindingOptions>(componentName)
            .Bind(configuration.GetSection(BlobBindingOptions.SectionName))
            .Configure(o =>
            {
                o.BindingName = componentName;
                o.Container = componentName;
                // The images folder's root path says nothing about this one; list falls back to the container name.
                o.LocalRootPath = null;
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddKeyedSingleton<IBlobBinding>(componentName, (provider, _) =>
        {
            var options = Options.Create(provider.GetRequiredService<IOptionsMonitor<BlobBindingOptions>>().Get(componentName));
            var invoker = provider.GetRequiredService<IBindingInvoker>();
            return options.Value.BindingType == BlobBindingOptions.AzureBlobStorage
                ? new AzureBlobStorageBinding(invoker, options)
                : new LocalStorageBlobBinding(invoker, options);
        });
        return services;
    }
}
