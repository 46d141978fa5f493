using ImageMeta.Contracts;
using ImageMeta.Dapr;
using ImageMeta.ServiceDefaults;
using ImageMeta.Web.Service.Calls;
using ImageMeta.Web.Service.KeyRing;
using ImageMeta.Web.Service.Library;
using ImageMeta.Web.Service.SignIn;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ImageMeta.Web.Service;

/// <summary>The web app's registrations (port, options, calls to ingest and store, key ring, pages, sign-in) and its pipeline.</summary>
public static class WebRegistration
{
    /// <summary>Room for multipart framing around the largest file.</summary>
    private const long MultipartOverheadBytes = 64 * 1024;

    public static WebApplicationBuilder AddWeb(this WebApplicationBuilder builder)
    {
        builder.ListenOnAppPort(DaprTopology.AppPorts.Web);

        var services = builder.Services;
        services.AddOptions<WebOptions>().BindConfiguration(WebOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateDataAnnotations()
            .Validate(a => !a.Enabled || !string.IsNullOrWhiteSpace(a.ClientId), "Auth:ClientId is required when Auth:Authority is set.")
            .ValidateOnStart();
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<WebOptions>>((kestrel, web) =>
            kestrel.Limits.MaxRequestBodySize = web.Value.MaxUploadBytes + MultipartOverheadBytes);
        services.AddOptions<FormOptions>().Configure<IOptions<WebOptions>>((form, web) =>
            form.MultipartBodyLengthLimit = web.Value.MaxUploadBytes + MultipartOverheadBytes);

        foreach (var app in new[] { DaprTopology.AppIds.Ingest, DaprTopology.AppIds.Store })
        {
            services.AddAppCalls(app, o => o.Configure<IOptions<WebOptions>>((call, web) => call.Deadline = web.Value.InvocationTimeout));
        }

        // The clock a page reads "now" from (the upload stage's waits); tests may register their own first.
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IngestCalls>();
        services.AddSingleton<StoreCalls>();
        services.AddHttpForwarder();
        services.AddSingleton<StoreForwarding>();

        services.AddWebUi();
        services.AddRazorPages(o => o.Conventions.ConfigureFilter(new NoStorePages()));
        services.AddAntiforgery(o =>
        {
            o.HeaderName = "RequestVerificationToken";
            o.Cookie.Name = "imagemeta.antiforgery";
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            // Any peer: the NetworkPolicy admits only the ingress controller (see WebOptions.TrustForwardedHeaders).
            o.KnownIPNetworks.Clear();
            o.KnownProxies.Clear();
        });

        var web = builder.Configuration.GetSection(WebOptions.SectionName).Get<WebOptions>() ?? new WebOptions();
        var auth = builder.Configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new AuthOptions();
        services.AddKeyRing(web);
        if (auth.Enabled)
        {
            services.AddSignIn(auth, web);
        }

        if (web.MetricsPort is { } metricsPort)
        {
            // The people-facing address(es) as configured, plus the scraper's port.
            var urls = builder.Configuration["urls"] ?? $"http://0.0.0.0:{DaprTopology.AppPorts.Web}";
            builder.WebHost.UseUrls($"{urls};http://0.0.0.0:{metricsPort}");
        }

        services.AddHttpClient(SidecarReadiness.ClientName, c => c.Timeout = TimeSpan.FromSeconds(2));
        services.AddHealthChecks().AddCheck<SidecarReadiness>("sidecar", tags: [HealthEndpoints.ReadyTag]);
        services.AddAuthorization();
        return builder;
    }

    /// <summary>Middleware and endpoints: headers, static files, sign-in, pages, the upload API.</summary>
    public static WebApplication UseWeb(this WebApplication app)
    {
        var web = app.Services.GetRequiredService<IOptions<WebOptions>>().Value;
        var auth = app.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
        if (web.TrustForwardedHeaders)
        {
            app.UseForwardedHeaders();
        }

        app.UseMiddleware<SecurityHeaders>(auth.Enabled ? new Uri(auth.Authority!).GetLeftPart(UriPartial.Authority) : string.Empty);
        app.UseExceptionHandler("/Error");
        app.UseStatusCodePagesWithReExecute("/Error", "?code={0}");
        app.UseStaticFiles();
        app.UseRouting();
        if (auth.Enabled)
        {
            app.UseAuthentication();
        }

        app.UseMiddleware<MetricsAccess>();
        app.UseAuthorization();
        app.UseAntiforgery();

        IEndpointConventionBuilder[] endpoints = [app.MapRazorPages(), app.MapUploadsApi(), app.MapThumbnailsApi(), app.MapOriginalsApi(), app.MapWebUi()];
        if (auth.Enabled)
        {
            foreach (var endpoint in endpoints)
            {
                endpoint.RequireAuthorization();
            }
        }

        return app;
    }
}
