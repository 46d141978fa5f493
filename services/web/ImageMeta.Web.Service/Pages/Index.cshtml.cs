using ImageMeta.Contracts;
using ImageMeta.Dapr;
using ImageMeta.Web.Service.Calls;
using ImageMeta.Web.Service.Library;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace ImageMeta.Web.Service.Pages;

/// <summary>
/// Upload, stats bar, filters and the gallery (newest first, keyset pages: a cursor names the last image seen, so
/// images arriving meanwhile never shift a page). When the store is down the upload still works and the page says why
/// the gallery is missing.
/// </summary>
public sealed class IndexModel(StoreCalls store, LibraryCalls library, IOptions<WebOptions> options) : PageModel
{
    /// <summary>The sentence shown in place of the gallery when the store cannot be reached.</summary>
    public const string StoreDownSentence = "The image store is not answering, so the gallery and its numbers cannot be shown right now. Uploads still work.";

    [BindProperty(SupportsGet = true)]
    public GalleryFilter Filter { get; set; } = new();

    [BindProperty(SupportsGet = true)]
    public string? Cursor { get; set; }

    public ImagePage? Images { get; private set; }

    public ImageStats? Stats { get; private set; }

    /// <summary>Why there is no gallery (store down, filters refused); null when there is one.</summary>
    public string? GalleryProblem { get; private set; }

    public long MaxUploadBytes => options.Value.MaxUploadBytes;

    /// <summary>
    /// The changes feed's token of the moment before the gallery was read, so the page's poll shows every record
    /// stored since (one shown twice is replaced, never doubled); null where the gallery is not live (filters, older pages).
    /// </summary>
    public string? ChangesToken { get; private set; }

    /// <summary>Whether the page shows the newest images unfiltered, where new records belong at the top.</summary>
    public bool IsLive => Filter.IsEmpty && Cursor is null;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        if (!ModelState.IsValid)
        {
            GalleryProblem = "Some filters could not be read: " + string.Join(" ", ModelState.Where(e => e.Value?.Errors.Count > 0).Select(e => $"{e.Key}: {e.Value!.Errors[0].ErrorMessage}"));
            return;
        }

        if (IsLive)
        {
            try
            {
                ChangesToken = (await library.ChangesAsync(null, cancellationToken)).Next;
            }
            catch (Exception e) when (e is AppUnavailableException or ChangesTokenExpiredException)
            {
                // No feed: the gallery below says why; the page still works without live updates.
            }
        }

        var stats = store.StatsAsync(cancellationToken);
        var images = store.QueryAsync(Filter, Cursor, cancellationToken);
        try
        {
            Stats = await stats;
        }
        catch (AppUnavailableException)
        {
            GalleryProblem = StoreDownSentence;
        }

        try
        {
            Images = await images;
        }
        catch (AppUnavailableException)
        {
            GalleryProblem = StoreDownSentence;
        }
        catch (QueryRejectedException e)
        {
            GalleryProblem = $"The store could not use these filters: {e.Message}";
        }
    }
}
