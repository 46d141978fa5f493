using ImageMeta.Contracts;
using ImageMeta.Dapr;
using ImageMeta.Web.Service.Acting;
using ImageMeta.Web.Service.Calls;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ImageMeta.Web.Service.Pages;

/// <summary>
/// What the gallery's selection bar posts (the ids of the checked cards, with the antiforgery token): "Process again"
/// runs each image's workflow again at once; "Delete" first answers a confirmation page naming the images, whose
/// "Yes" posts the same ids back confirmed. Either way the person lands on the gallery with one sentence, and it all
/// works without script (the cards' checkboxes belong to the bar's form).
/// </summary>
public sealed class SelectionModel(IngestCalls ingest, StoreCalls store) : PageModel
{
    /// <summary>Most images one post acts on: a few gallery pages' worth, so one request's calls stay bounded.</summary>
    public const int MaxImages = 200;

    public const string DeleteAct = "delete";
    public const string ReprocessAct = "reprocess";

    /// <summary>The images to confirm: their ids and, where the store answered, their names.</summary>
    public List<(ImageId Id, string Name)> Images { get; } = [];

    public IActionResult OnGet() => Redirect("/");

    public async Task<IActionResult> OnPostAsync([FromForm] string[]? ids, [FromForm] string? act, [FromForm] bool confirmed, CancellationToken cancellationToken)
    {
        var chosen = (ids ?? []).Select(i => ImageId.TryParse(i, out var id) ? id : (ImageId?)null).OfType<ImageId>().Distinct().ToList();
        if (chosen.Count == 0)
        {
            TempData.SetNotice("Select at least one image first.");
            return Redirect("/");
        }

        if (chosen.Count > MaxImages)
        {
            TempData.SetNotice($"Select at most {MaxImages} images at once; nothing was changed.");
            return Redirect("/");
        }

        switch (act)
        {
            case ReprocessAct:
                TempData.SetNotice(await ActOnEachAsync(chosen, ingest.ReprocessAsync, n => $"Processing {ActSentences.Images(n)} again.", "processed again", goneIsDone: false, cancellationToken));
                return Redirect("/");
            case DeleteAct when confirmed:
                TempData.SetNotice(await ActOnEachAsync(chosen, ingest.DeleteAsync, n => $"Deleted {ActSentences.Images(n)}. {(n == 1 ? "It" : "They")} may take a moment to leave the gallery.", "deleted", goneIsDone: true, cancellationToken));
                return Redirect("/");
            case DeleteAct:
                foreach (var id in chosen)
                {
                    Images.Add((id, await NameAsync(id, cancellationToken)));
                }

                return Page();
            default:
                TempData.SetNotice("Choose Delete or Process again.");
                return Redirect("/");
        }
    }

    /// <summary>
    /// Calls ingest for each image, stopping at the first outage (the rest would not answer either), and says in one
    /// sentence what happened: all done, or how many were not and why. With <paramref name="goneIsDone"/>, ingest's 404
    /// (nobody knows the image any more) counts as done: deleting twice is harmless.
    /// </summary>
    private static async Task<string> ActOnEachAsync(
        List<ImageId> ids, Func<ImageId, CancellationToken, Task<ActOutcome>> act, Func<int, string> doneSentence, string verb, bool goneIsDone, CancellationToken cancellationToken)
    {
        var done = 0;
        var refusals = new List<string>();
        foreach (var id in ids)
        {
            try
            {
                var outcome = await act(id, cancellationToken);
                if (outcome.Done || (goneIsDone && outcome.Status == StatusCodes.Status404NotFound))
                {
                    done++;
                }
                else
                {
                    refusals.Add(outcome.Refusal ?? $"ingest answered {outcome.Status}");
                }
            }
            catch (AppUnavailableException)
            {
                var left = ids.Count - done - refusals.Count;
                var start = done > 0 ? doneSentence(done) + " " : string.Empty;
                return $"{start}The ingest service is not answering, so {ActSentences.Images(left)} of {ids.Count} {(left == 1 ? "was" : "were")} not {verb}. Try again shortly.";
            }
        }

        var sentence = done > 0 ? doneSentence(done) : string.Empty;
        if (refusals.Count > 0)
        {
            sentence += $"{(done > 0 ? " " : string.Empty)}{ActSentences.Images(refusals.Count)} {(refusals.Count == 1 ? "was" : "were")} not {verb}: {refusals[0]}";
        }

        return sentence;
    }

    private async Task<string> NameAsync(ImageId id, CancellationToken cancellationToken)
    {
        try
        {
            return (await store.FindAsync(id, cancellationToken))?.Blob.Name ?? $"image {id}";
        }
        catch (AppUnavailableException)
        {
            // The confirmation still works without names; the ids are what is posted.
            return $"image {id}";
        }
    }
}
