using Dapr.Client;
using ImageMeta.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ImageMeta.Dapr;

/// <summary>
/// The <see cref="DaprClient"/> of an app that resolves one (ingest: the sweep's state store). Register it only there:
/// an app that never resolves it gains nothing but a second gRPC channel's settings to keep in step. Blob payloads do
/// not travel through it (src/ImageMeta.Blobs has its own channel, sized for blobs), so gRPC's default message limits apply.
/// </summary>
public static class SidecarDaprClient
{
    /// <summary>Registers <see cref="DaprClient"/> with the contract JSON options and the sidecar endpoints and token of <see cref="DaprSidecar"/>.</summary>
    public static IServiceCollection AddSidecarDaprClient(this IServiceCollection services)
    {
        services.AddDaprClient((provider, client) =>
        {
            var configuration = provider.GetRequiredService<IConfiguration>();
            client.UseJsonSerializationOptions(new(ContractJson.Options));
            client.UseHttpEndpoint(DaprSidecar.HttpEndpoint(configuration));
            client.UseGrpcEndpoint(DaprSidecar.GrpcEndpoint(configuration));
            if (DaprSidecar.ApiToken(configuration) is { } token)
            {
                client.UseDaprApiToken(token);
            }
        });
        return services;
    }
}
