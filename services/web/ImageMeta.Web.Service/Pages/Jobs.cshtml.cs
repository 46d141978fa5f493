using System.Text.RegularExpressions;
using ImageMeta.Contracts;
using ImageMeta.Dapr;
using ImageMeta.Web.Service.Acting;
using ImageMeta.Web.Service.Calls;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ImageMeta.Web.Service.Pages;

/// <summary>
/// Reprocessing jobs (ingest's <c>/reprocessing</c>): running and past jobs with their progress, two ways to start one
/// ("all failed", "everything older than this extractor"), and pause, resume and cancel per job. Each act is a form
/// post with the antiforgery token that leaves its result in a sentence; the list's fragment
/// (<c>?handler=List</c>) is what the page polls, so progress moves without a reload.
/// </summary>
public sealed partial class JobsModel(IngestCalls ingest) : PageModel
{
    public const string IngestDownSentence = "The ingest service is not answering, so the reprocessing jobs cannot be shown right now.";

    /// <summary>Start "Reprocess all failed".</summary>
    public const string FailedKind = "failed";

    /// <summary>Start "Reprocess everything older than this extractor".</summary>
    public const string OlderKind = "older";

    public ReprocessingJobs? Jobs { get; private set; }

    /// <summary>Why there is no list; null when there is one.</summary>
    public string? Problem { get; private set; }

    /// <summary>The extractor's version now: records made by an older one are what "older" reprocesses.</summary>
    public static int ExtractorVersion => ExtractorVersions.Current;

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    /// <summary>Only the list, for the page's poll.</summary>
    public async Task<IActionResult> OnGetListAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        return Partial("_JobList", this);
    }

    public async Task<IActionResult> OnPostStartAsync([FromForm] string? kind, CancellationToken cancellationToken)
    {
        var (filter, what) = kind switch
        {
            FailedKind => (new ReprocessingFilter(Status: "failed"), "every failed image"),
            OlderKind => (new ReprocessingFilter(ExtractorVersionBelow: ExtractorVersions.Current), $"every image made by an extractor older than version {ExtractorVersions.Current}"),
            _ => (null, null),
        };
        if (filter is null)
        {
            TempData.SetNotice("Choose which images to reprocess.");
            return Redirect("/jobs");
        }

        try
        {
            var outcome = await ingest.StartJobAsync(new ReprocessingRequest(filter), cancellationToken);
            TempData.SetNotice(outcome.Done ? $"Started a job that processes {what} again." : $"The job was not started: {outcome.Refusal}");
        }
        catch (AppUnavailableException)
        {
            TempData.SetNotice("The ingest service is not answering, so no job was started. Try again shortly.");
        }

        return Redirect("/jobs");
    }

    public async Task<IActionResult> OnPostActAsync([FromForm] string? job, [FromForm] string? action, CancellationToken cancellationToken)
    {
        if (job is null || !JobIdPattern().IsMatch(job) || action is null || !IngestCalls.JobActions.Contains(action))
        {
            TempData.SetNotice("That is not a job and an action this page offers.");
            return Redirect("/jobs");
        }

        try
        {
            var outcome = await ingest.JobActionAsync(job, action, cancellationToken);
            TempData.SetNotice(outcome.Done ? Done(action) : $"The job was not {Past(action)}: {outcome.Refusal}");
        }
        catch (AppUnavailableException)
        {
            TempData.SetNotice($"The ingest service is not answering, so the job was not {Past(action)}. Try again shortly.");
        }

        return Redirect("/jobs");
    }

    /// <summary>The filter in words, for a job's heading.</summary>
    public static string Describe(ReprocessingFilter filter)
    {
        var parts = new List<string>();
        if (filter.Status is { } status)
        {
            parts.Add($"status {status}");
        }

        if (filter.FailureClass is { } failure)
        {
            parts.Add($"failure {failure}");
        }

        if (filter.Format is { } format)
        {
            parts.Add($"format {format.ToUpperInvariant()}");
        }

        if (filter.ExtractorVersionBelow is { } below)
        {
            parts.Add($"extractor older than version {below}");
        }

        if (filter.ProcessedBefore is { } before)
        {
            parts.Add($"processed before {HumanUnits.Instant(before)}");
        }

        return parts.Count == 0 ? "Every image" : "Images with " + string.Join(", ", parts);
    }

    private static string Done(string action) => action switch
    {
        "pause" => "Paused the job: it starts no more images until it is resumed.",
        "resume" => "Resumed the job.",
        _ => "Canceled the job: it starts no more images.",
    };

    private static string Past(string action) => action switch
    {
        "pause" => "paused",
        "resume" => "resumed",
        _ => "canceled",
    };

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            Jobs = await ingest.JobsAsync(cancellationToken);
        }
        catch (AppUnavailableException)
        {
            Problem = IngestDownSentence;
        }
    }

    /// <summary>A job id as ingest makes them (a workflow instance id): letters, digits, '-', '_' and '.', bounded.</summary>
    [GeneratedRegex("^[A-Za-z0-9._-]{1,128}$", RegexOptions.CultureInvariant)]
    private static partial Regex JobIdPattern();
}
