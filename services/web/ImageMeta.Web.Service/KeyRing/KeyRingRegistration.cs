using System.Security.Cryptography.X509Certificates;
using Dapr.Client;
using ImageMeta.Dapr;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;

namespace ImageMeta.Web.Service.KeyRing;

/// <summary>
/// Where the web app keeps its Data Protection keys, which protect the sign-in cookies, the session tickets and the
/// antiforgery tokens: in the Dapr state store <see cref="WebOptions.StateStore"/> when set (Kubernetes: every replica
/// shares it), else in the folder <see cref="WebOptions.KeyRingFolder"/>, else where ASP.NET Core keeps them by default
/// (a folder under the user's home). With <see cref="WebOptions.KeyRingCertificate"/> the keys are encrypted with that
/// certificate before they are stored.
/// </summary>
public static class KeyRingRegistration
{
    /// <summary>The name every replica protects under, whatever folder it runs from (Data Protection's application discriminator).</summary>
    public const string ApplicationName = "imagemeta-web";

    public static IServiceCollection AddKeyRing(this IServiceCollection services, WebOptions web)
    {
        ArgumentNullException.ThrowIfNull(web);
        var dataProtection = services.AddDataProtection().SetApplicationName(ApplicationName);
        if (web.StateStore is { Length: > 0 } store)
        {
            services.AddSidecarDaprClient();
            services.AddOptions<KeyManagementOptions>().Configure<DaprClient, ILogger<StateStoreXmlRepository>>((keys, dapr, logger) =>
                keys.XmlRepository = new StateStoreXmlRepository(dapr, store, logger));
        }
        else if (web.KeyRingFolder is { Length: > 0 } folder)
        {
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(folder));
        }

        if (web.KeyRingCertificate is { Length: > 0 } path)
        {
            // Also registers the certificate for decryption, so keys it encrypted are read back.
            dataProtection.ProtectKeysWithCertificate(X509CertificateLoader.LoadPkcs12FromFile(path, web.KeyRingCertificatePassword));
        }

        return services;
    }
}
