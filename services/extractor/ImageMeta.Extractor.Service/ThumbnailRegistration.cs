using ImageMeta.Blobs;
using ImageMeta.Contracts;
using Microsoft.Extensions.Options;

namespace ImageMeta.Extractor.Service;

/// <summary>
/// The thumbnail half of the extractor: its options, the renderer (sharing extraction's limits and in-flight
/// memory budget) and the <c>thumbnails</c> output binding, of the same binding type as <c>images</c>.
/// </summary>
public static class ThumbnailRegistration
{
    public static WebApplicationBuilder AddThumbnails(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ThumbnailOptions>()
            .Bind(builder.Configuration.GetSection(ThumbnailOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(
                o => o.MaxRenderTime >= ThumbnailOptions.MinRenderTime && o.MaxRenderTime <= ThumbnailOptions.MaxRenderTimeBound,
                $"Thumbnails:MaxRenderTime must be between {ThumbnailOptions.MinRenderTime} and {ThumbnailOptions.MaxRenderTimeBound}.")
            .Validate(
                o => !o.FallbackDecoder || FallbackDecoder.Loads(),
                "Thumbnails:FallbackDecoder is on but ImageMagick's native library (Magick.Native) does not load on this machine; install it or turn the setting off.")
            .ValidateOnStart();
        builder.Services.AddSingleton(provider => new ThumbnailRenderer(
            provider.GetRequiredService<IOptions<ExtractionOptions>>().Value,
            provider.GetRequiredService<IOptions<ThumbnailOptions>>().Value,
            provider.GetRequiredService<ImageInspector>().Budget));
        builder.Services.AddKeyedBlobBinding(builder.Configuration, DaprTopology.Components.Thumbnails);
        return builder;
    }
}
