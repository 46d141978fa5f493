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

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
}
