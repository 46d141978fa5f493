using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace ImageMeta.Web.Service.Pages;

/// <summary>Sign-out (a POST with the antiforgery token): ends the cookie session and the provider's session.</summary>
[AllowAnonymous]
public sealed class SignOutModel(IOptions<AuthOptions> auth) : PageModel
{
    public IActionResult OnPost()
    {
        if (!auth.Value.Enabled)
        {
            return Redirect("/");
        }

        // The provider ends its session, then sends the browser back to this page's GET.
        var properties = new AuthenticationProperties { RedirectUri = "/SignOut" };
        return SignOut(properties, CookieAuthenticationDefaults.AuthenticationScheme, OpenIdConnectDefaults.AuthenticationScheme);
    }
}
