using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ImageMeta.Testing.Dapr.Pipeline;

/// <summary>One span as Zipkin's JSON v2 model carries it (zipkin-api <c>zipkin2-api.yaml</c>, Span).</summary>
public sealed record ZipkinSpan
{
    [JsonPropertyName("traceId")]
    public required string TraceId { get; init; }

    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("parentId")]
    public string? ParentId { get; init; }

    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("kind")]
    public string? Kind { get; init; }

    [JsonPropertyName("timestamp")]
    public long Timestamp { get; init; }

    [JsonPropertyName("duration")]
    public long Duration { get; init; }

    [JsonPropertyName("localEndpoint")]
    public ZipkinEndpoint? LocalEndpoint { get; init; }

    [JsonPropertyName("tags")]
    public Dictionary<string, string>? Tags { get; init; }

    public string ServiceName => LocalEndpoint?.ServiceName ?? string.Empty;

    public override string ToString() => $"{ServiceName} {Kind} '{Name}' {Id} <- {ParentId ?? "(root)"}";
}

/// <summary>Zipkin's endpoint object.</summary>
public sealed record ZipkinEndpoint
{
    [JsonPropertyName("serviceName")]
    public string? ServiceName { get; init; }
}

/// <summary>
/// An in-test Zipkin collector: accepts <c>POST /api/v2/spans</c> (JSON v2 list of spans, what the
/// OpenTelemetry Zipkin exporter sends) and keeps every span for assertions.
/// </summary>
public sealed class ZipkinReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<ZipkinSpan> _spans = new();
    private WebApplication? _app;

    public int Port { get; private set; }

    /// <summary>The value for <c>Telemetry__ZipkinEndpoint</c>.</summary>
    public string SpansEndpoint => $"http://127.0.0.1:{Port}/api/v2/spans";

    public IReadOnlyList<ZipkinSpan> Spans => [.. _spans];

    public IReadOnlyList<ZipkinSpan> Trace(string traceId) => [.. _spans.Where(s => s.TraceId == traceId)];

    public async Task StartAsync()
    {
        Port = LoopbackPorts.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, Port);
            k.Limits.MaxRequestBodySize = 64 * 1024 * 1024;
        });
        var app = builder.Build();
        app.MapPost("/api/v2/spans", async (HttpContext context) =>
        {
            var spans = await JsonSerializer.DeserializeAsync<List<ZipkinSpan>>(context.Request.Body, cancellationToken: context.RequestAborted);
            foreach (var span in spans ?? [])
            {
                _spans.Enqueue(span);
            }

            // Zipkin answers 202 Accepted.
            return Results.Accepted();
        });
        await app.StartAsync();
        _app = app;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
