using System.ComponentModel.DataAnnotations;
using System.Globalization;
using ImageMeta.Contracts;
using ImageMeta.Dapr;
using ImageMeta.Web.Service.Calls;
using ImageMeta.Web.Service.Library;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace ImageMeta.Web.Service.Pages;

/// <summary>
/// Upload, stats bar, filters and the gallery as a timeline: by date taken (upload time when there is none), newest
/// first, in keyset pages (a cursor names the last image seen, so images arriving meanwhile never shift a page), with
/// month headers and a jump to any month (<c>?month=yyyy-MM</c>, the store's <c>startAt</c>). Filters and place are in
/// the query string, so Back and reload return to them. <c>?handler=Cards</c> answers one page's cards alone, for the
/// script's paging. When the store is down the upload still works and the page says why the gallery is missing.
/// </summary>
public sealed class IndexModel(StoreCalls store, LibraryCalls library, IOptions<WebOptions> options) : PageModel
{
    /// <summary>The sentence shown in place of the gallery when the store cannot be reached.</summary>
    public const string StoreDownSentence = "The image store is not answering, so the gallery and its numbers cannot be shown right now. Uploads still work.";

    [BindProperty(SupportsGet = true)]
    public GalleryFilter Filter { get; set; } = new();

    [BindProperty(SupportsGet = true)]
    public string? Cursor { get; set; }

    /// <summary>The month the page starts at (<c>yyyy-MM</c>), from the jump control; ignored with a cursor.</summary>
    [BindProperty(SupportsGet = true)]
    [RegularExpression("^[0-9]{4}-(0[1-9]|1[0-2])$", ErrorMessage = "month is yyyy-MM.")]
    public string? Month { get; set; }

    /// <summary>The months that hold images, newest first, for the jump control and the headers' counts; null when unknown.</summary>
    public ImageTimeline? Months { get; private set; }

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
    public bool IsLive => Filter.IsEmpty && Cursor is null && Month is null;

    /// <summary>The query string of this page's place (<c>cursor=…</c>, <c>month=…</c> or nothing), for the script's page bookkeeping.</summary>
    public string StartQuery => Cursor is not null ? "cursor=" + Uri.EscapeDataString(Cursor) : Month is not null ? "month=" + Month : string.Empty;

    /// <summary>The filters as a query string (no place), which the script's page fetches and the URL keep.</summary>
    public string FilterQuery => string.Join('&', Filter.RouteValues(null).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));

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
        var months = library.MonthsAsync(Filter, cancellationToken);
        var images = library.TimelinePageAsync(Filter, Cursor, Month, cancellationToken);
        try
        {
            Months = await months;
        }
        catch (AppUnavailableException)
        {
            // The gallery below says the store is down; without months there is no jump control.
        }

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

    /// <summary>One page's cards (and its next cursor) for the script: 400 for unreadable values, 503 when the store is down.</summary>
    public async Task<IActionResult> OnGetCardsAsync(CancellationToken cancellationToken)
    {
        if (!ModelState.IsValid)
        {
            return BadRequest();
        }

        try
        {
            Images = await library.TimelinePageAsync(Filter, Cursor, Month, cancellationToken);
        }
        catch (AppUnavailableException)
        {
            return StatusCode(StatusCodes.Status503ServiceUnavailable);
        }
        catch (QueryRejectedException)
        {
            return BadRequest();
        }

        return Partial("_TimelineCards", this);
    }

    /// <summary>
    /// Whether the months' counts are those of the gallery: the store counts by status and format only, so with any
    /// other filter the counts are left out (the months still lead to the right place).
    /// </summary>
    public bool CountsExact => Filter is { Camera: null or "", TakenFrom: null, TakenTo: null, MinWidth: null, MinHeight: null, HasGps: null };

    /// <summary>The count of a month in <see cref="Months"/>, when known and exact.</summary>
    public long? CountOf(string month) =>
        CountsExact ? Months?.Months.FirstOrDefault(m => MonthKey(m) == month)?.Count : null;

    /// <summary><c>yyyy-MM</c> of a month of the timeline.</summary>
    public static string MonthKey(TimelineMonth month) =>
        string.Create(CultureInfo.InvariantCulture, $"{month?.Year:D4}-{month?.Month:D2}");
}
