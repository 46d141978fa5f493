using Dapr.Workflow;
using ImageMeta.Contracts;
using ImageMeta.Dapr;

namespace ImageMeta.Ingest;

/// <summary>
/// The workflow's input: the blob version, the retry policy in force when it was started, what started it, and, for a
/// blob whose name breaks <see cref="BlobNameRule"/>, why (the blob reference then carries the name's safe rendering).
/// The policy travels in the input because workflow code may not take dependencies (the SDK's DAPR1305), and because
/// history then holds it: a replay after a configuration change follows the schedule the instance began with.
/// </summary>
/// <remarks>
/// <paramref name="AnalyzeInOneCall"/>: the extractor step is the one <c>AnalyzeImage</c> activity (one blob read for
/// metadata, thumbnail and renditions). Every start sets it; inputs written before it existed lack it (false), and those
/// instances replay the fan-out of <c>ExtractMetadata</c> and <c>MakeThumbnail</c> they were started with: daprd replays
/// an in-flight instance's history against the code of the worker that picks it up, and the history of a fan-out
/// instance names those two activities at sequence numbers 0 and 1, so a worker that scheduled <c>AnalyzeImage</c>
/// there instead would fail it as non-deterministic. With the flag, an instance in flight during an upgrade finishes
/// as it began (both old activities stay registered and the extractor keeps serving <c>extract</c> and <c>thumbnail</c>);
/// remove them once no instance of the old shape can still be running.
/// </remarks>
public sealed record ImageWorkflowInput(
    BlobReference Blob, ActivityRetry Retry, ImageTrigger Trigger = ImageTrigger.Upload, string? NameProblem = null, bool AnalyzeInOneCall = false);

/// <summary>The activities' retry policy as data (see <see cref="IngestOptions"/>' <c>Retry*</c> settings).</summary>
public sealed record ActivityRetry(int MaxAttempts, TimeSpan FirstInterval, double BackoffCoefficient, TimeSpan MaxInterval)
{
    /// <summary>The wait after failed attempt <paramref name="attempt"/> (1-based): exponential from the first interval, capped.</summary>
    public TimeSpan DelayAfter(int attempt)
    {
        var seconds = FirstInterval.TotalSeconds * Math.Pow(BackoffCoefficient, Math.Max(0, attempt - 1));
        return seconds >= MaxInterval.TotalSeconds ? MaxInterval : TimeSpan.FromSeconds(seconds);
    }
}

/// <summary>What the workflow reports when it ends: small, so history stays small.</summary>
public sealed record ImageWorkflowResult(
    ImageId Id, string Status, string? Format, int? Width, int? Height, string? FailureClass, string? ThumbnailFailureClass = null)
{
    /// <summary><see cref="Status"/> of a run whose image was deleted before its record was stored (nothing was stored).</summary>
    public const string DeletedStatus = "deleted";
}

/// <summary>The workflow's custom status while a step waits to be tried again (read by <c>GET /images/{id}/status</c>).</summary>
public sealed record ImageWorkflowProgress(WaitingFor? WaitingFor);

/// <summary>
/// One image version: the extractor analyzes it in one call (metadata, thumbnail and renditions from one read of the
/// blob; instances started before that call existed replay their fan-out of two calls), then the store keeps the record
/// with both results. A bad image (a permanent extraction
/// failure) comes back as a typed outcome, is not retried, and is stored as a failed record with its class; a name
/// that breaks the name rule is stored as failed with the class <c>invalid-name</c> without calling the extractor.
/// Transient faults are retried with durable timers and exponential backoff (the policy in the input), and while a
/// step waits the custom status says for which service and until when; if a step still cannot be done its outcome is
/// stored as <c>unavailable</c> (the sweep's repair loop runs it again later). A thumbnail failure never fails the image:
/// the record says there is none, and why. If storing keeps failing, or the store refuses the record, the workflow fails
/// and its status says why. Stored messages are sentences about the image or which service was missing, never a
/// sidecar's error text. The input is a blob reference and the output a summary: image bytes never enter workflow history.
/// </summary>
public sealed class ImageMetadataWorkflow : Workflow<ImageWorkflowInput, ImageWorkflowResult>
{
    public override async Task<ImageWorkflowResult> RunAsync(WorkflowContext context, ImageWorkflowInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var blob = input.Blob;
        var id = blob.ImageId;

        ImageRecord record;
        if (input.NameProblem is { } nameProblem)
        {
            record = new ImageRecord
            {
                Id = id,
                Blob = blob,
                Status = ImageStatus.Failed,
                Failure = new ProcessingFailure(FailureClass.InvalidName, nameProblem),
                ProcessedAt = context.CurrentUtcDateTime,
            };
        }
        else if (input.AnalyzeInOneCall)
        {
            var analysis = await OrUnavailableAsync(
                context, DaprTopology.Workflows.AnalyzeImageActivity, blob, input.Retry, failure => new ImageAnalysis { Failure = failure, ThumbnailFailure = failure, ExtractorVersion = 0 });
            if (analysis is { Metadata: null, Failure: null })
            {
                throw new InvalidOperationException("AnalyzeImage returned neither metadata nor a failure.");
            }

            record = RecordOf(blob, analysis, context.CurrentUtcDateTime);
        }
        else
        {
            // The shape before AnalyzeImage, for instances whose input predates it (no AnalyzeInOneCall): replaying their
            // history needs the same actions in the same order (two activities in one turn, sequence numbers 0 and 1),
            // or the replay is non-deterministic and the instance fails. New instances never take this branch.
            // Both activities are scheduled in the same turn, so the engine dispatches them at once; each one's
            // retries past the policy become an "unavailable" outcome, so nothing is left unaccounted for.
            var extraction = OrUnavailableAsync(context, DaprTopology.Workflows.ExtractMetadataActivity, blob, input.Retry, ExtractionOutcome.Failed);
            var thumbnailing = OrUnavailableAsync(context, DaprTopology.Workflows.MakeThumbnailActivity, blob, input.Retry, ThumbnailOutcome.Failed);
            await Task.WhenAll(extraction, thumbnailing);
            var outcome = await extraction;
            var thumbnail = await thumbnailing;

            if (outcome is { Metadata: null, Failure: null })
            {
                throw new InvalidOperationException("ExtractMetadata returned neither metadata nor a failure.");
            }

            if (thumbnail is { Thumbnail: null, Failure: null })
            {
                throw new InvalidOperationException("MakeThumbnail returned neither a thumbnail nor a failure.");
            }

            // The two answers as one analysis; these extractors predate the version field (0: unknown, as before).
            var joined = new ImageAnalysis
            {
                Metadata = outcome.Metadata,
                Failure = outcome.Failure,
                Thumbnail = thumbnail.Thumbnail,
                ThumbnailFailure = thumbnail.Failure,
                ExtractorVersion = 0,
            };
            record = RecordOf(blob, joined, context.CurrentUtcDateTime);
        }

        // A failure here fails the workflow, and its status names the step and the store's reason.
        SaveOutcome saved;
        try
        {
            saved = await WithRetriesAsync<SaveOutcome>(context, DaprTopology.Workflows.SaveMetadataActivity, new SaveRequest(record, input.Trigger), input.Retry);
        }
        catch (WorkflowTaskFailedException e)
        {
            throw new RecordNotStoredException($"the store still failed after {input.Retry.MaxAttempts} attempts: {SafeReason(e, DaprTopology.AppIds.Store)}");
        }

        if (saved.Rejection is { } rejection)
        {
            throw new RecordNotStoredException($"the store refused the record: {rejection}");
        }

        if (saved.WasDeleted)
        {
            // Deleted while this run was under way: the store's tombstone refused the save, and the delete stands.
            return new ImageWorkflowResult(id, ImageWorkflowResult.DeletedStatus, null, null, null, null);
        }

        return new ImageWorkflowResult(
            id, record.Status, record.Metadata?.Format, record.Metadata?.Width, record.Metadata?.Height, record.Failure?.Class, record.ThumbnailFailure?.Class);
    }

    /// <summary>Which app an activity calls, for <see cref="WaitingFor"/>.</summary>
    internal static string ServiceOf(string activity) => activity switch
    {
        DaprTopology.Workflows.SaveMetadataActivity or DaprTopology.Workflows.DeleteRecordActivity => DaprTopology.AppIds.Store,
        DaprTopology.Workflows.DeleteOriginalActivity => DaprTopology.Components.Images,
        _ => DaprTopology.AppIds.Extractor,
    };

    /// <summary>
    /// An activity with the retry policy: on a failed attempt, the custom status says which service is awaited and when
    /// the next attempt is, a durable timer waits, and the activity is scheduled again (the SDK's own retry policy does
    /// the same, but cannot say what it waits for). The last failure is thrown.
    /// </summary>
    internal static async Task<T> WithRetriesAsync<T>(WorkflowContext context, string activity, object input, ActivityRetry retry)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var result = await context.CallActivityAsync<T>(activity, input);
                if (attempt > 1)
                {
                    context.SetCustomStatus(null);
                }

                return result;
            }
            catch (WorkflowTaskFailedException) when (attempt < retry.MaxAttempts)
            {
                var next = context.CurrentUtcDateTime + retry.DelayAfter(attempt);
                context.SetCustomStatus(new ImageWorkflowProgress(new WaitingFor(ServiceOf(activity), new DateTimeOffset(next, TimeSpan.Zero), attempt + 1)));
                await context.CreateTimer(next, CancellationToken.None);
            }
        }
    }

    /// <summary>The record of one analysis: metadata, when there is any, decides the status; a failure counts only without it.</summary>
    private static ImageRecord RecordOf(BlobReference blob, ImageAnalysis analysis, DateTimeOffset processedAt) => new()
    {
        Id = blob.ImageId,
        Blob = blob,
        Status = analysis.Metadata is null ? ImageStatus.Failed : ImageStatus.Succeeded,
        Metadata = analysis.Metadata,
        Failure = analysis.Metadata is null ? analysis.Failure : null,
        Thumbnail = analysis.Thumbnail,
        ThumbnailFailure = analysis.Thumbnail is null ? analysis.ThumbnailFailure : null,
        ExtractorVersion = analysis.ExtractorVersion,
        ExtractorBuild = analysis.ExtractorBuild,
        ProcessedAt = processedAt,
    };

    /// <summary>An extractor step with the retry policy; a transient fault that outlasts the retries becomes the outcome <paramref name="unavailable"/> makes.</summary>
    private static async Task<TOutcome> OrUnavailableAsync<TOutcome>(
        WorkflowContext context, string activity, BlobReference blob, ActivityRetry retry, Func<ProcessingFailure, TOutcome> unavailable)
    {
        try
        {
            return await WithRetriesAsync<TOutcome>(context, activity, blob, retry);
        }
        catch (WorkflowTaskFailedException e)
        {
            return unavailable(new ProcessingFailure(
                FailureClass.Unavailable,
                $"{SafeReason(e, DaprTopology.AppIds.Extractor)} It was tried {retry.MaxAttempts} times; the sweep tries it again later."));
        }
    }

    /// <summary>
    /// The sentence of an <see cref="AppUnavailableException"/> (which names the app, never an address); for any other
    /// failure only which service failed, since an exception's own message may carry a sidecar's or a socket's text.
    /// </summary>
    private static string SafeReason(WorkflowTaskFailedException e, string service) =>
        e.FailureDetails.ErrorType == typeof(AppUnavailableException).FullName
            ? e.FailureDetails.ErrorMessage
            : $"The {service} app could not be used.";
}

/// <summary>What <c>SaveMetadata</c> is given: the record, and what started the workflow (a repair clears its backoff once stored).</summary>
public sealed record SaveRequest(ImageRecord Record, ImageTrigger Trigger);

/// <summary>
/// <c>SaveMetadata</c> could not store the record (the store refused it, or kept failing past the retries): the
/// workflow fails with this, so its status names the step and the store's reason.
/// </summary>
public sealed class RecordNotStoredException(string reason)
    : Exception($"{DaprTopology.Workflows.SaveMetadataActivity} did not store the record: {reason}");
