using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Diagnostics;

namespace ImageMeta.Web.Service.SignIn;

/// <summary>
/// OpenID Connect sign-in (authorization code with PKCE) and the cookie session that follows it. The session lives on
/// the server (<see cref="SessionTickets"/>), slides while it is used (<see cref="AuthOptions.SessionIdleTimeout"/>) and
/// ends at <see cref="AuthOptions.SessionLifetime"/> after sign-in however much it is used; sign-out ends it for every
/// copy of the cookie.
/// </summary>
public static partial class SignInRegistration
{
    /// <summary>The session cookie's name.</summary>
    public const string SessionCookie = "imagemeta.session";

    /// <summary>The ticket property that holds when the person signed in (the cookie's own issue time moves as it slides).</summary>
    public const string SignedInAtItem = "imagemeta.signed-in-at";

    /// <summary>The callback path the provider sends the browser back to (the handler's default).</summary>
    public const string CallbackPath = "/signin-oidc";

    public static IServiceCollection AddSignIn(this IServiceCollection services, AuthOptions auth, WebOptions web)
    {
        ArgumentNullException.ThrowIfNull(auth);
        services.AddSessionTickets(web);
        services.AddAuthentication(o =>
        {
            o.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
            o.DefaultChallengeScheme = OpenIdConnectDefaults.AuthenticationScheme;
        })
        .AddCookie(o =>
        {
            o.Cookie.Name = SessionCookie;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.SlidingExpiration = true;
            o.ExpireTimeSpan = auth.SessionIdleTimeout;
            o.Events.OnSigningIn = context =>
            {
                context.Properties.Items[SignedInAtItem] = context.Options.TimeProvider!.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
                return Task.CompletedTask;
            };
            o.Events.OnValidatePrincipal = context => EndIfTooOldAsync(context, auth.SessionLifetime);
        })
        .AddOpenIdConnect(o =>
        {
            o.Authority = auth.Authority;
            o.ClientId = auth.ClientId;
            o.ClientSecret = auth.ClientSecret;
            o.RequireHttpsMetadata = auth.RequireHttpsMetadata;
            o.CallbackPath = CallbackPath;
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
            // A callback that cannot complete (forged, replayed, expired, refused at the provider) is the visitor's
            // problem, not the app's: a 400 that the error page explains, and a warning in the log, never an exception.
            o.Events.OnRemoteFailure = context =>
            {
                LogCallbackFailed(context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SignInRegistration)), context.Failure?.Message ?? "no reason given", context.Failure);
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                context.HandleResponse();
                return Task.CompletedTask;
            };
        });
        return services;
    }

    /// <summary>Ends a session older than <paramref name="lifetime"/> since sign-in (or one without a sign-in time), whatever its cookie says.</summary>
    private static async Task EndIfTooOldAsync(CookieValidatePrincipalContext context, TimeSpan lifetime)
    {
        var now = context.Options.TimeProvider!.GetUtcNow();
        if (context.Properties.Items.TryGetValue(SignedInAtItem, out var text) &&
            DateTimeOffset.TryParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var signedInAt) &&
            now - signedInAt < lifetime)
        {
            return;
        }

        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A sign-in callback could not be completed: {Reason}")]
    private static partial void LogCallbackFailed(ILogger logger, string reason, Exception? failure);
}
