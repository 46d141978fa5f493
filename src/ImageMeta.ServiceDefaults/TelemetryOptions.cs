namespace ImageMeta.ServiceDefaults;

/// <summary>
/// Where a service sends its spans. Bound from the <c>Telemetry</c> configuration section. OTLP (traces and metrics)
/// is configured by the standard <c>OTEL_EXPORTER_OTLP_*</c> variables instead, and is on when the endpoint is set.
/// </summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "Telemetry";

    /// <summary>Name shown in Zipkin; defaults to <c>OTEL_SERVICE_NAME</c>, then the Dapr app id, then the assembly name.</summary>
    public string? ServiceName { get; set; }

    /// <summary>Zipkin's span endpoint. Empty turns exporting off (spans are still created for propagation).</summary>
    public string? ZipkinEndpoint { get; set; } = "http://localhost:9411/api/v2/spans";
}
