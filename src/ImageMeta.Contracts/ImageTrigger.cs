using System.Text.Json.Serialization;

namespace ImageMeta.Contracts;

/// <summary>What made the pipeline look at an image version (the <c>imagemeta.trigger</c> label, workflow inputs, logs).</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<ImageTrigger>))]
public enum ImageTrigger
{
    /// <summary><c>POST /images</c> on ingest.</summary>
    Upload,

    /// <summary>A BlobCreated event from the storage queue.</summary>
    Event,

    /// <summary>The cron sweep found a blob version nobody started.</summary>
    Sweep,

    /// <summary>The repair loop runs an image again whose outcome was transient (<c>unavailable</c>) or that has no record.</summary>
    Repair,

    /// <summary>A reprocessing job, or <c>POST /images/{id}/reprocess</c>.</summary>
    Reprocess,
}

/// <summary>The wire names of <see cref="ImageTrigger"/>.</summary>
public static class ImageTriggers
{
    /// <summary><c>"upload"</c>, <c>"event"</c>, …: what the JSON and the metric label say.</summary>
    public static string WireName(this ImageTrigger trigger) => ContractEnumNames.KebabCase(trigger);
}
