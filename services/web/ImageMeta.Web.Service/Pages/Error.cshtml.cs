using ImageMeta.Web.Service.SignIn;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;

namespace ImageMeta.Web.Service.Pages;

/// <summary>The page shown for an unhandled error or a bare status code: a sentence, never a stack trace.</summary>
[IgnoreAntiforgeryToken]
[AllowAnonymous]
public sealed class ErrorModel : PageModel
{
    public string Heading { get; private set; } = "Something went wrong";

    public string Sentence { get; private set; } = "The page could not be shown because of an error on our side. Try again in a moment.";

    // From the query only: a re-executed POST keeps its form, and an OpenID Connect callback's form has a "code" of its own.
    public void OnGet([FromQuery] int? code) => Describe(code);

    public void OnPost([FromQuery] int? code) => Describe(code);

    /// <summary>
    /// The status this page answers with: a 4xx or 5xx that HTTP names, else 404. The code comes from the query string,
    /// so anyone can write any integer there; 0, negative, 1xx-3xx (a 101 would claim a protocol switch, a 3xx a
    /// redirect without a Location) and unnamed numbers are no status this page means.
    /// </summary>
    public static int StatusFor(int? code) => code switch
    {
        null => StatusCodes.Status500InternalServerError,
        >= 400 and <= 599 when ReasonPhrases.GetReasonPhrase(code.Value).Length > 0 => code.Value,
        _ => StatusCodes.Status404NotFound,
    };

    private void Describe(int? requested)
    {
        // A code that is not a number at all ("?code=x") is as meaningless as an unnamed one.
        var code = requested is null && Request.Query.ContainsKey("code") ? StatusCodes.Status404NotFound : StatusFor(requested);
        if (code == StatusCodes.Status404NotFound)
        {
            Heading = "Not found";
            Sentence = "There is no page at this address.";
        }
        else if (code == StatusCodes.Status410Gone)
        {
            Heading = "No longer there";
            Sentence = "The original file has been replaced or deleted since this image was stored; the new file, if any, is an image of its own in the gallery.";
        }
        else if (code == StatusCodes.Status503ServiceUnavailable)
        {
            Heading = "Not available right now";
            Sentence = "The image store or its storage is not answering. Try again in a moment.";
        }
        else if (code == StatusCodes.Status400BadRequest && HttpContext.Features.Get<IStatusCodeReExecuteFeature>()?.OriginalPath == SignInRegistration.CallbackPath)
        {
            Heading = "Sign-in not completed";
            Sentence = "The sign-in could not be completed: it expired, was already used, or did not start in this browser. Open the gallery to sign in again.";
        }
        else if (code is >= 400 and < 500)
        {
            Heading = "That request was not accepted";
            Sentence = $"The request was refused ({code}). Go back and try again.";
        }
        else if (code is > 500 and <= 599)
        {
            Heading = "Not available right now";
            Sentence = $"A service behind this page is not answering ({code}). Try again in a moment.";
        }

        Response.StatusCode = code;
    }
}
