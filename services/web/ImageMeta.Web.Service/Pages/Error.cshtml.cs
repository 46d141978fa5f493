using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ImageMeta.Web.Service.Pages;

/// <summary>The page shown for an unhandled error or a bare status code: a sentence, never a stack trace.</summary>
[IgnoreAntiforgeryToken]
[AllowAnonymous]
public sealed class ErrorModel : PageModel
{
    public string Heading { get; private set; } = "Something went wrong";

    public string Sentence { get; private set; } = "The page could not be shown because of an error on our side. Try again in a moment.";

    public void OnGet(int? code) => Describe(code);

    public void OnPost(int? code) => Describe(code);

    private void Describe(int? code)
    {
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
        else if (code is >= 400 and < 500)
        {
            Heading = "That request was not accepted";
            Sentence = $"The request was refused ({code}). Go back and try again.";
        }

        Response.StatusCode = code ?? StatusCodes.Status500InternalServerError;
    }
}
