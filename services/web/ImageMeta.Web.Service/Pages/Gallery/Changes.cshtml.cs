using ImageMeta.Contracts;
using ImageMeta.Dapr;
using ImageMeta.Web.Service.Calls;
using ImageMeta.Web.Service.Library;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ImageMeta.Web.Service.Pages.Gallery;

/// <summary>
/// The live gallery's poll: the cards of records written after the page's token (the same card markup as the gallery,
/// so the script inserts them as they are), the ids removed, the next token, and the stats bar when anything changed.
/// 410 when the token expired (the script reloads the page); 503 with the store's name when it does not answer.
/// </summary>
public sealed class ChangesModel(LibraryCalls library, StoreCalls store) : PageModel
{
    public ImageChanges Changes { get; private set; } = new([], [], string.Empty);

    public ImageStats? Stats { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? after, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(after))
        {
            return BadRequest();
        }

        try
        {
            Changes = await library.ChangesAsync(after, cancellationToken);
            if (Changes.Records.Count > 0 || Changes.Deleted.Count > 0)
            {
                Stats = await store.StatsAsync(cancellationToken);
            }
        }
        catch (ChangesTokenExpiredException)
        {
            return StatusCode(StatusCodes.Status410Gone);
        }
        catch (AppUnavailableException)
        {
            return StatusCode(StatusCodes.Status503ServiceUnavailable);
        }

        Response.Headers.CacheControl = "no-store";
        return Page();
    }
}
