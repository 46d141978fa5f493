using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace ImageMeta.Contracts;

/// <summary>
/// The one JSON shape of the contracts on every wire: web defaults (camelCase, case-insensitive read),
/// nulls left out on write.
/// </summary>
public static class ContractJson
{
    /// <summary>Shared, read-only serializer options.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>Applies the contract conventions to options owned by a host (for example ASP.NET Core's).</summary>
    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.PropertyNameCaseInsensitive = true;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.NumberHandling = JsonNumberHandling.Strict;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "The reflection fallback serves non-contract types in the JIT-compiled services; ahead-of-time compiled code uses ContractJsonContext directly.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "As above: AOT-compiled code does not use these options.")]
    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Configure(options);
        // Contract types come from generated metadata; anything else (problem details, anonymous answers) from reflection.
        options.TypeInfoResolver = JsonTypeInfoResolver.Combine(ContractJsonContext.Default, new DefaultJsonTypeInfoResolver());
        options.MakeReadOnly();
        return options;
    }
}
