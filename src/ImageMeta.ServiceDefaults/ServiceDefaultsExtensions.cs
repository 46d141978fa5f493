using ImageMeta.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ImageMeta.ServiceDefaults;

/// <summary>
/// The one call each service makes to get tracing, metrics, health, problem details, JSON conventions and
/// the API token check. <c>builder.AddServiceDefaults()</c> registers; <c>app.UseServiceDefaults()</c> wires
/// the middleware and maps the health endpoints and <c>/metrics</c>.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Activity sources of our own code start with this; the tracer listens to all of them.</summary>
    public const string ActivitySourcePrefix = "ImageMeta.";

    /// <summary>Meters of our own code start with this (<c>ImageMeta.Ingest</c>, …); the meter provider listens to all of them.</summary>
    public const string MeterPrefix = "ImageMeta.";

    /// <summary>The meter the .NET runtime itself publishes (since .NET 9), named in the runtime's documentation.</summary>
    public const string RuntimeMeterName = "System.Runtime";

    /// <summary>The variable that turns the OTLP exporter on for traces and metrics (the exporter reads it, and its siblings, itself).</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The variable Dapr uses to hand the app its expected token.</summary>
    public const string AppApiTokenVariable = "APP_API_TOKEN";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        var telemetry = builder.Configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new TelemetryOptions();
        var serviceName = telemetry.ServiceName
            ?? builder.Configuration["OTEL_SERVICE_NAME"]
            ?? builder.Configuration["APP_ID"]
            ?? builder.Environment.ApplicationName;

        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable]);
        // service.version is the version /healthz reports, so a trace or a series names the build that made it.
        var serviceVersion = HealthEndpoints.ApplicationVersion(builder.Environment.ApplicationName);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceVersion: serviceVersion))
            .WithTracing(tracing =>
            {
                tracing
                    .AddSource(ActivitySourcePrefix + "*")
                    .AddAspNetCoreInstrumentation(o => o.Filter = context => !MetricsEndpoint.IsOperatorPath(context.Request.Path))
                    .AddHttpClientInstrumentation()
                    .AddGrpcClientInstrumentation();
                if (!string.IsNullOrWhiteSpace(telemetry.ZipkinEndpoint))
                {
                    // Upstream marks the Zipkin exporter obsolete in favour of OTLP, but Zipkin is what Dapr's
                    // sidecars export to and what the design promises; one trace needs one backend. OTLP is the
                    // way forward and runs beside it when configured.
#pragma warning disable CS0618
                    tracing.AddZipkinExporter(o => o.Endpoint = new Uri(telemetry.ZipkinEndpoint));
#pragma warning restore CS0618
                }

                if (otlp)
                {
                    tracing.AddOtlpExporter();
                }
            })
            .WithMetrics(metrics =>
            {
                // ASP.NET Core (server requests, Kestrel), HttpClient (which carries the gRPC client's calls to the
                // sidecar: Grpc.Net.Client has no meter of its own, its HTTP/2 requests are measured here) and the
                // runtime's built-in System.Runtime meter (GC, heap, thread pool, exceptions on .NET 9+).
                metrics
                    .AddMeter(MeterPrefix + "*")
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddMeter(RuntimeMeterName)
                    .AddPrometheusExporter();
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });

        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy());
        // Every problem carries a failure class, those the framework writes itself included.
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = FailureProblems.AddMissingClass);
        builder.Services.AddExceptionHandler<RequestRefusalHandler>();
        // Malformed requests are the caller's fault in every environment: answer 400, not an exception page or a 500.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);
        builder.Services.ConfigureHttpJsonOptions(o => ContractJson.Configure(o.SerializerOptions));
        return builder;
    }

    /// <summary>
    /// Listens on the app's port from <c>DaprTopology.AppPorts</c> (Dapr's <c>app-port</c>) unless <c>ASPNETCORE_URLS</c> or
    /// <c>urls</c> says otherwise: the run files and manifests rely on the fixed port, tests and hosts pick their own.
    /// </summary>
    public static WebApplicationBuilder ListenOnAppPort(this WebApplicationBuilder builder, int port)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]) && string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls($"http://0.0.0.0:{port}");
        }

        return builder;
    }

    /// <param name="app">The app.</param>
    /// <param name="sidecarFacing">
    /// Whether the app's routes are called by its sidecar and so require <c>APP_API_TOKEN</c> when it is set. Only
    /// the web app, whose pages people call directly, passes false.
    /// </param>
    public static WebApplication UseServiceDefaults(this WebApplication app, bool sidecarFacing = true)
    {
        app.UseExceptionHandler();
        if (sidecarFacing)
        {
            app.UseStatusCodePages();
        }

        if (sidecarFacing && app.Configuration[AppApiTokenVariable] is { Length: > 0 } token)
        {
            app.UseMiddleware<ApiTokenMiddleware>(token);
        }

        app.MapHealthChecks(HealthEndpoints.Liveness, new HealthCheckOptions
        {
            Predicate = check => check.Name == "self",
            ResponseWriter = HealthEndpoints.LivenessWriter(HealthEndpoints.ApplicationVersion(app.Environment.ApplicationName)),
        });
        app.MapHealthChecks(HealthEndpoints.Readiness, new HealthCheckOptions { Predicate = check => check.Tags.Contains(HealthEndpoints.ReadyTag) || check.Name == "self" });
        app.MapPrometheusScrapingEndpoint(MetricsEndpoint.Path);
        return app;
    }
}
