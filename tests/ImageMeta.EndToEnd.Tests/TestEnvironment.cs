using System.Text.Json;
using ImageMeta.Testing.Dapr.Pipeline;

namespace ImageMeta.EndToEnd.Tests;

/// <summary>
/// The settings the end-to-end suite gives the services, and the few response shapes it reads, in one
/// place: retry intervals shortened (but still long enough to ride out the 20 s outages), quiet logs.
/// </summary>
public static class TestEnvironment
{
    /// <summary>The container name ingest reports for the local-storage binding (events and sweep must agree on it).</summary>
    public const string LocalContainer = "images";

    /// <summary>The Durable Task engine double behind ingest's sidecar.</summary>
    public static IWorkflowEngineDouble CreateWorkflowEngine() => new ImageMeta.Testing.Workflow.WorkflowEngineDouble();

    /// <summary>Extra environment per app id.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Services { get; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            // Retries: 1 s, 2 s, 4 s, then every 8 s, 8 attempts (about 39 s of waiting): rides out the 20 s outages
            // while keeping the suite short; production defaults are 6 attempts from 2 s, x2, capped at 1 min.
            ["ingest"] = new Dictionary<string, string>
            {
                ["Ingest__RetryMaxAttempts"] = "8",
                ["Ingest__RetryFirstInterval"] = "00:00:01",
                ["Ingest__RetryMaxInterval"] = "00:00:08",
            },
        };

    /// <summary>The items of a store query page (<c>{ "items": [...], "nextCursor": ... }</c>).</summary>
    public static IEnumerable<JsonElement> Items(JsonElement page) => page.GetProperty("items").EnumerateArray();

    /// <summary>Lowercase hex SHA-256, as records carry it and the store's <c>sha256</c> filter takes it.</summary>
    public static string Sha256(byte[] content) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content));

    /// <summary>Whether ingest's status answer says the image's workflow has completed (its record is then the store's to answer).</summary>
    public static bool StatusSaysCompleted(JsonElement status) =>
        status.TryGetProperty("workflow", out var workflow) && workflow.ValueKind == JsonValueKind.Object &&
        workflow.TryGetProperty("runtimeStatus", out var s) && s.GetString() == "COMPLETED";
}
