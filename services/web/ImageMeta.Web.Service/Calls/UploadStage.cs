using ImageMeta.Contracts;

namespace ImageMeta.Web.Service.Calls;

/// <summary>
/// Where one uploaded image is, in the words the page shows: <c>queued</c> (no workflow run yet), <c>extracting</c>
/// (the workflow runs), <c>stored</c> (a succeeded record), <c>failed</c> (a failed record with its class, or a
/// workflow that failed without writing one). <see cref="Done"/> tells the page to stop polling.
/// </summary>
public sealed record UploadStage(string Stage, string Sentence, string? FailureClass, DateTimeOffset? ProcessedAt)
{
    public const string Queued = "queued";
    public const string Extracting = "extracting";
    public const string Stored = "stored";
    public const string Failed = "failed";

    public bool Done => Stage is Stored or Failed;

    /// <summary>
    /// The stage from the store's record when there is one, else from ingest's word on the workflow. With
    /// <paramref name="now"/>, a step being retried also says how long the file has waited and how soon the next try is.
    /// </summary>
    public static UploadStage From(ImageStatusView? status, ImageRecord? record, DateTimeOffset? now = null)
    {
        if (record is not null)
        {
            return record.Status == ImageStatus.Succeeded
                ? new UploadStage(Stored, StoredSentence(record), null, record.ProcessedAt)
                : new UploadStage(Failed, FailureSentence(record.Failure), record.Failure?.Class, record.ProcessedAt);
        }

        if (status?.Workflow is not { } workflow)
        {
            return new UploadStage(Queued, "Waiting for processing to start.", null, null);
        }

        return workflow.RuntimeStatus switch
        {
            WorkflowRunStatus.Failed or WorkflowRunStatus.Terminated or WorkflowRunStatus.Canceled => new UploadStage(
                Failed,
                $"Processing stopped without a result: {workflow.FailureMessage ?? workflow.RuntimeStatus.ToString().ToLowerInvariant()}.",
                Contracts.FailureClass.Unavailable,
                workflow.LastUpdatedAt),
            WorkflowRunStatus.Running or WorkflowRunStatus.Completed or WorkflowRunStatus.ContinuedAsNew or WorkflowRunStatus.Suspended => workflow.WaitingFor is { } waiting
                ? new UploadStage(Extracting, WaitingSentence(waiting, workflow.CreatedAt, now), null, null)
                : new UploadStage(Extracting, "Reading the image's metadata.", null, null),
            _ => new UploadStage(Queued, "Waiting for processing to start.", null, null),
        };
    }

    /// <summary>
    /// A step is being retried: name the service it waits for and when the next attempt is, so a long wait reads as one;
    /// with the time of asking, also how long since processing began and how long until that attempt.
    /// </summary>
    private static string WaitingSentence(WaitingFor waiting, DateTimeOffset began, DateTimeOffset? now)
    {
        var at = $"{waiting.Until.ToUniversalTime():HH:mm:ss} UTC";
        if (now is not { } asked)
        {
            return $"Waiting for the {waiting.Service} service, which did not answer; attempt {waiting.Attempt} starts at {at}.";
        }

        var waited = HumanUnits.Duration(asked - began);
        var next = waiting.Until > asked ? $"in {HumanUnits.Duration(waiting.Until - asked)} (at {at})" : $"now (it was due at {at})";
        return $"Waiting for the {waiting.Service} service, which did not answer: this file has waited {waited} since processing began, and attempt {waiting.Attempt} starts {next}.";
    }

    private static string StoredSentence(ImageRecord record) => record.Metadata is { } m
        ? $"Stored: {m.Format.ToUpperInvariant()}, {m.Width} × {m.Height} pixels."
        : "Stored.";

    /// <summary>A sentence for a failure class, followed by the pipeline's own message.</summary>
    public static string FailureSentence(ProcessingFailure? failure) => failure?.Class switch
    {
        Contracts.FailureClass.Empty => "The file is empty.",
        Contracts.FailureClass.Unsupported => $"This is not an image format the pipeline reads. {failure.Message}",
        Contracts.FailureClass.Corrupt => $"The image is damaged or cut short. {failure.Message}",
        Contracts.FailureClass.TooLarge => $"The image is over a size limit. {failure.Message}",
        Contracts.FailureClass.NotFound => "The file disappeared before it could be read.",
        Contracts.FailureClass.Unavailable => $"A service was unavailable for too long while processing it. {failure.Message}",
        null => "Processing failed.",
        _ => $"Processing failed ({failure.Class}). {failure.Message}",
    };
}
