using System.ComponentModel.DataAnnotations;

namespace ImageMeta.Web.Service;

/// <summary>The web app's settings (configuration section <c>Web</c>), validated at start.</summary>
public sealed class WebOptions
{
    public const string SectionName = "Web";

    /// <summary>
    /// Largest file the page accepts. Keep it equal to ingest's <c>Ingest:MaxUploadBytes</c> (the run files and
    /// manifests set both): the page refuses bigger files before sending them, naming this limit.
    /// </summary>
    [Range(1, 2L * 1024 * 1024 * 1024)]
    public long MaxUploadBytes { get; set; } = 47L * 1024 * 1024;

    /// <summary>Base address of the Zipkin UI (for example <c>http://localhost:9411/zipkin/</c>); trace ids link to it when set.</summary>
    [Url]
    public string? ZipkinUi { get; set; }

    /// <summary>Images per gallery page.</summary>
    [Range(1, 200)]
    public int PageSize { get; set; } = 24;

    /// <summary>Images in the detail page's similar strip.</summary>
    [Range(1, 50)]
    public int SimilarCount { get; set; } = 12;

    /// <summary>Time limit for one call to ingest or store; an upload of the largest file must fit in it.</summary>
    public TimeSpan InvocationTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Honour <c>X-Forwarded-Proto/For/Host</c> from any peer. Set only behind an ingress controller that the
    /// network policy makes the sole peer (deploy/k8s), so sign-in redirects use the public https address.
    /// </summary>
    public bool TrustForwardedHeaders { get; set; }

    /// <summary>
    /// The Dapr state store that holds the Data Protection key ring and the sign-in sessions, shared by every replica
    /// (Kubernetes: <c>webstate</c>). Without it the key ring is in <see cref="KeyRingFolder"/> and sessions in memory:
    /// right for one process (the local profile), not for two.
    /// </summary>
    public string? StateStore { get; set; }

    /// <summary>
    /// The folder of the key ring when there is no <see cref="StateStore"/>; unset, ASP.NET Core's default (a folder
    /// under the user's home, kept across restarts).
    /// </summary>
    public string? KeyRingFolder { get; set; }

    /// <summary>A PKCS#12 file whose certificate encrypts the key ring's keys before they are stored (Kubernetes: the <c>imagemeta-web-keyring</c> secret).</summary>
    public string? KeyRingCertificate { get; set; }

    /// <summary>The password of <see cref="KeyRingCertificate"/>, from a secret.</summary>
    public string? KeyRingCertificatePassword { get; set; }

    /// <summary>
    /// A second port that serves only <c>/metrics</c>, for the scraper. When it is set, the people-facing port does not
    /// serve <c>/metrics</c> at all; when it is not, <c>/metrics</c> needs a sign-in like every page (when sign-in is on).
    /// </summary>
    [Range(1, 65535)]
    public int? MetricsPort { get; set; }
}

/// <summary>
/// Sign-in (configuration section <c>Auth</c>). Without <see cref="Authority"/> the app runs open and says so on
/// every page; with it, every page and the upload API require an OpenID Connect sign-in.
/// </summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>The OpenID Connect issuer, for example <c>https://login.microsoftonline.com/{tenant}/v2.0</c>.</summary>
    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    /// <summary>From a secret (Kubernetes <c>secretKeyRef</c>), never from appsettings.json.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Refuse an http authority; only a test provider on loopback turns this off.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>How long a session lasts without use; each use slides it on.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a session lasts after sign-in however much it is used; then the person signs in again.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
}
