namespace ImageMeta.ServiceDefaults;

/// <summary>
/// Names and buckets our meters share. Attribute names follow OpenTelemetry's semantic conventions where one fits
/// (<c>error.type</c>), else carry the <c>imagemeta.</c> namespace. Every attribute holds a value from a small closed
/// set (a trigger, a status, a failure class, a format): never an image id, a blob name or a message, so a series
/// count stays bounded whatever the traffic.
/// </summary>
public static class MetricConventions
{
    /// <summary>OpenTelemetry's attribute for the class of a failure; here one of <c>FailureClass</c>'s values.</summary>
    public const string ErrorType = "error.type";

    /// <summary>What started a workflow: <c>upload</c>, <c>event</c> or <c>sweep</c>.</summary>
    public const string Trigger = "imagemeta.trigger";

    /// <summary>How an image ended: <c>succeeded</c>, <c>failed</c> (its record says why) or <c>rejected</c> (the store refused the record).</summary>
    public const string Status = "imagemeta.image.status";

    /// <summary>The detected image format (one of <c>ImageFormats</c>).</summary>
    public const string Format = "imagemeta.image.format";

    /// <summary>
    /// Bucket bounds in seconds for work that takes milliseconds to minutes (an extraction, a sweep, an image's way
    /// through the pipeline). The SDK's default bounds assume milliseconds and would put every value here in the first
    /// bucket or two.
    /// </summary>
    public static IReadOnlyList<double> SecondsBuckets { get; } =
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
}
