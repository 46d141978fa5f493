using System.Text.RegularExpressions;
using ImageMeta.Contracts;
using ImageMeta.Dapr;
using ImageMeta.Web.Service.Acting;
using ImageMeta.Web.Service.Calls;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace ImageMeta.Web.Service.Pages.Images;

/// <summary>
/// One image: every metadata field in human units, the thumbnail, a link to the original (the store streams it through
/// <c>/originals/{id}</c>), GPS with an OpenStreetMap link, the workflow's
/// status (from ingest), the similar strip (from the store) and the upload's trace id. Each source that is down
/// costs only its own part of the page. Its two acts, delete (after a confirmation step) and process again, are form
/// posts with the antiforgery token that Razor Pages checks; each leaves its result in a sentence.
/// </summary>
public sealed partial class DetailModel(StoreCalls store, IngestCalls ingest, IOptions<WebOptions> options, TimeProvider clock) : PageModel
{
    public ImageRecord? Record { get; private set; }

    public ImageStatusView? Status { get; private set; }

    public SimilarAnswer? Similar { get; private set; }

    /// <summary>The store keeps this image's tombstone: it was deleted.</summary>
    public bool Deleted { get; private set; }

    /// <summary>Whether the store serves the original as an image to show (else as a download): <see cref="ImageRecord.OriginalMediaType"/>.</summary>
    public bool OriginalShown => Record?.OriginalMediaType() is not null;

    /// <summary>The name the original is saved as (<see cref="ImageRecord.OriginalFileName"/>).</summary>
    public string OriginalFileName => Record?.OriginalFileName() ?? string.Empty;

    /// <summary>Sentences for the parts that could not be read.</summary>
    public List<string> Problems { get; } = [];

    /// <summary>
    /// The upload's trace id, when the page was opened from the upload list (the link carries it). Images that came
    /// in by the sweep or an event have none here; Zipkin still finds them by service and time.
    /// </summary>
    public string? TraceId { get; private set; }

    public Uri? TraceLink => TraceId is not null && options.Value.ZipkinUi is { } ui
        ? new Uri(new Uri(ui.EndsWith('/') ? ui : ui + "/"), $"traces/{TraceId}")
        : null;

    public async Task<IActionResult> OnGetAsync(string id, string? trace, CancellationToken cancellationToken)
    {
        if (!ImageId.TryParse(id, out var imageId))
        {
            return NotFound();
        }

        TraceId = trace is not null && TraceIdPattern().IsMatch(trace) ? trace : null;
        var statusTask = ingest.StatusAsync(imageId, cancellationToken);
        try
        {
            var lookup = await store.LookUpAsync(imageId, cancellationToken);
            (Record, Deleted) = (lookup.Record, lookup.Deleted);
        }
        catch (AppUnavailableException)
        {
            Problems.Add("The image store is not answering, so the stored metadata cannot be shown right now.");
        }

        if (Record is not null)
        {
            try
            {
                Similar = await store.SimilarAsync(imageId, cancellationToken);
            }
            catch (AppUnavailableException)
            {
                // The record is shown; only the strip is missing (null: the page says it cannot be shown right now).
                Similar = null;
            }
        }

        try
        {
            Status = await statusTask;
        }
        catch (AppUnavailableException)
        {
            Problems.Add("The ingest service is not answering, so the workflow's status cannot be shown right now.");
        }

        if (Deleted)
        {
            // Gone, and the page says so, rather than a bare "not found" or a workflow that once ran.
            Response.StatusCode = StatusCodes.Status410Gone;
            return Page();
        }

        if (Record is null && Status is null && Problems.Count == 0)
        {
            return NotFound();
        }

        return Page();
    }

    /// <summary>When the page was made: the upload stage's "waited so far" counts to it.</summary>
    public DateTimeOffset Now => clock.GetUtcNow();

    /// <summary>Deletes the image through ingest; done, back to the gallery with the sentence, else here with the reason.</summary>
    public async Task<IActionResult> OnPostDeleteAsync(string id, CancellationToken cancellationToken)
    {
        if (!ImageId.TryParse(id, out var imageId))
        {
            return NotFound();
        }

        try
        {
            var outcome = await ingest.DeleteAsync(imageId, cancellationToken);
            if (outcome.Done)
            {
                TempData.SetNotice(ActSentences.Deleted);
                return Redirect("/");
            }

            TempData.SetNotice(ActSentences.DeleteRefused(outcome));
        }
        catch (AppUnavailableException)
        {
            TempData.SetNotice(ActSentences.IngestDownDelete);
        }

        return Redirect($"/images/{imageId}");
    }

    /// <summary>Runs the image's workflow again through ingest and comes back here with the result in a sentence.</summary>
    public async Task<IActionResult> OnPostReprocessAsync(string id, CancellationToken cancellationToken)
    {
        if (!ImageId.TryParse(id, out var imageId))
        {
            return NotFound();
        }

        try
        {
            var outcome = await ingest.ReprocessAsync(imageId, cancellationToken);
            TempData.SetNotice(outcome.Done ? ActSentences.Reprocessing : ActSentences.ReprocessRefused(outcome));
        }
        catch (AppUnavailableException)
        {
            TempData.SetNotice(ActSentences.IngestDownReprocess);
        }

        return Redirect($"/images/{imageId}");
    }

    [GeneratedRegex("^[0-9a-f]{32}$", RegexOptions.CultureInvariant)]
    private static partial Regex TraceIdPattern();
}
