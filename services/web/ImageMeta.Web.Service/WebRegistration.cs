using ImageMeta.Contracts;
using ImageMeta.Dapr;
using ImageMeta.ServiceDefaults;
using ImageMeta.Web.Service.Calls;
using ImageMeta.Web.Service.Library;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace ImageMeta.Web.Service;

/// <summary>The web app's registrations (port, options, calls to ingest and store, pages, sign-in) and its pipeline.</summary>
public static class WebRegistration
{
    /// <summary>Room for multipart framing around the largest file.</summary>
    private const long MultipartOverheadBytes = 64 * 1024;

    public static WebApplicationBuilder AddWeb(this WebApplicationBuilder builder)
    {
        builder.ListenOnAppPort(DaprTopology.AppPorts.Web);

        var services = builder.Services;
        services.AddOptions<WebOptions>().BindConfiguration(WebOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName)
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

        services.AddSingleton<IngestCalls>();
        services.AddSingleton<StoreCalls>();
        services.AddHttpForwarder();
        services.AddSingleton<StoreForwarding>();

        services.AddWebUi();
        services.AddRazorPages();
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

        var auth = builder.Configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new AuthOptions();
        if (auth.Enabled)
        {
            services.AddAuthentication(o =>
            {
                o.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                o.DefaultChallengeScheme = OpenIdConnectDefaults.AuthenticationScheme;
            })
            .AddCookie(o =>
            {
                o.Cookie.Name = "imagemeta.session";
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.SlidingExpiration = true;
                o.ExpireTimeSpan = TimeSpan.FromHours(8);
            })
            .AddOpenIdConnect(o =>
            {
                o.Authority = auth.Authority;
                o.ClientId = auth.ClientId;
                o.ClientSecret = auth.ClientSecret;
                o.RequireHttpsMetadata = auth.RequireHttpsMetadata;
                o.ResponseType = "code";
                o.UsePkce = true;
                o.SaveTokens = true;
                o.GetClaimsFromUserInfoEndpoint = true;
                o.MapInboundClaims = false;
                o.TokenValidationParameters.NameClaimType = "name";
                o.Scope.Clear();
                o.Scope.Add("openid");
                o.Scope.Add("profile");
                o.SignedOutRedirectUri = "/";
                // API calls from the page's script get a 401, not a redirect to the provider they cannot follow.
                o.Events.OnRedirectToIdentityProvider = context =>
                {
                    if (context.Request.Path.StartsWithSegments("/api"))
                    {
                        // A bare 401 for the script: no error page re-executed in its place (which would challenge again).
                        if (context.HttpContext.Features.Get<IStatusCodePagesFeature>() is { } statusPages)
                        {
                            statusPages.Enabled = false;
                        }

                        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                        context.HandleResponse();
                    }

                    return Task.CompletedTask;
                };
            });
        }

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
