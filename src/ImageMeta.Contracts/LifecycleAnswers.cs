using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace ImageMeta.Contracts;

/// <summary>
/// Ingest's answer to <c>DELETE /images/{id}</c> (202): the delete runs as a workflow, named here, that removes the
/// original blob version, its thumbnail and renditions, and the record, and leaves a tombstone so a late save cannot
/// bring the record back.
/// </summary>
public sealed record DeleteAccepted(ImageId Id, string Workflow);

/// <summary>Ingest's answer to <c>POST /images/{id}/reprocess</c> (202): the image's workflow was started again.</summary>
public sealed record ReprocessAccepted(ImageId Id, string Workflow);

/// <summary>
/// Which stored records a reprocessing job runs again (<c>status</c> is an <see cref="ImageStatus"/> value); every part is optional and the parts combine with AND, as the
/// store's list query does (<c>status</c>, <c>failureClass</c>, <c>format</c>, <c>extractorVersionBelow</c>,
/// <c>processedBefore</c>).
/// </summary>
public sealed record ReprocessingFilter(
    string? Status = null,
    string? FailureClass = null,
    string? Format = null,
    int? ExtractorVersionBelow = null,
    DateTimeOffset? ProcessedBefore = null);

/// <summary>The body of <c>POST /reprocessing</c>: what to run again, and at most how many images at once.</summary>
public sealed record ReprocessingRequest(ReprocessingFilter? Filter = null, [property: Range(1, ReprocessingRequest.MaxConcurrency)] int Concurrency = ReprocessingRequest.DefaultConcurrency)
{
    /// <summary>Images run at once when the request names no number.</summary>
    public const int DefaultConcurrency = 4;

    /// <summary>The documented maximum; more is refused with 400.</summary>
    public const int MaxConcurrency = 64;
}

/// <summary>Where a reprocessing job is. Paused, resumed and canceled are the job workflow's suspend, resume and terminate.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<ReprocessingState>))]
public enum ReprocessingState
{
    Running,
    Paused,
    Completed,
    Canceled,
    Failed,
}

/// <summary>
/// <c>GET /reprocessing/{id}</c>: a job's progress. <see cref="Matched"/> counts records the filter matched so far
/// (the job pages through the store, so it grows until the last page), <see cref="Started"/> the images whose workflow
/// it started, <see cref="Done"/> those whose workflow ended, <see cref="Failed"/> those of them whose new record is a
/// failure or that could store none (they keep their old record). A completed job has Done = Started = Matched.
/// </summary>
public sealed record ReprocessingJob(
    string Id,
    ReprocessingState State,
    ReprocessingFilter Filter,
    int Concurrency,
    long Matched,
    long Started,
    long Done,
    long Failed,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt);

/// <summary><c>GET /reprocessing</c>: running and past jobs, newest first.</summary>
public sealed record ReprocessingJobs(IReadOnlyList<ReprocessingJob> Items);
