using System.ComponentModel.DataAnnotations;
using ImageMeta.Contracts;

namespace ImageMeta.Blobs;

/// <summary>Which Dapr binding holds the images and how to talk to it. Bound from the <c>Blobs</c> section.</summary>
public sealed class BlobBindingOptions
{
    public const string SectionName = "Blobs";

    /// <summary>The <c>bindings.localstorage</c> component type.</summary>
    public const string LocalStorage = "localstorage";

    /// <summary>The <c>bindings.azure.blobstorage</c> component type.</summary>
    public const string AzureBlobStorage = "azure.blobstorage";

    /// <summary>The Dapr component name.</summary>
    [Required]
    public string BindingName { get; set; } = DaprTopology.Components.Images;

    /// <summary><see cref="LocalStorage"/> or <see cref="AzureBlobStorage"/>: the component's type, which decides the request shapes.</summary>
    [Required]
    [RegularExpression("^(localstorage|azure\\.blobstorage)$", ErrorMessage = "Blobs:BindingType must be 'localstorage' or 'azure.blobstorage'.")]
    public string BindingType { get; set; } = LocalStorage;

    /// <summary>The container name recorded in blob references (for local storage, a logical name for the folder).</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    public string Container { get; set; } = "images";

    /// <summary>
    /// Local storage only: the component's <c>rootPath</c> as the sidecar sees it. Its <c>list</c> answers absolute
    /// paths, and this turns them back into names. When unset, names are taken after the last <c>/{Container}/</c>.
    /// </summary>
    public string? LocalRootPath { get; set; }

    /// <summary>Default of <see cref="CallTimeout"/>: room for a 256 MiB blob on a slow link.</summary>
    public static readonly TimeSpan DefaultCallTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Default of <see cref="CallAttempts"/>.</summary>
    public const int DefaultCallAttempts = 3;

    /// <summary>How long one binding call may take before it is given up and sent again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan CallTimeout { get; set; } = DefaultCallTimeout;

    /// <summary>How many times a binding call that runs out of time is sent in all.</summary>
    [Range(1, 10)]
    public int CallAttempts { get; set; } = DefaultCallAttempts;

    /// <summary>Largest blob read or written, in bytes (default 256 MiB).</summary>
    [Range(1, int.MaxValue)]
    public long MaxBlobBytes { get; set; } = 256L * 1024 * 1024;
}
