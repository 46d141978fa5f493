using System.Text.Json.Serialization;

namespace ImageMeta.Contracts;

/// <summary>What became of an accepted upload's workflow.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<UploadWorkflow>))]
public enum UploadWorkflow
{
    /// <summary>Its workflow was started now.</summary>
    Started,

    /// <summary>The same name and version was seen before: its record is there or on its way (the upload changed nothing).</summary>
    AlreadyKnown,

    /// <summary>The blob is stored but the workflow engine did not confirm the start in time: the next sweep starts it.</summary>
    DeferredToSweep,
}

/// <summary>Ingest's answer to an accepted upload (202): the image id, the blob version written, and what happened to its workflow.</summary>
public sealed record UploadAccepted(ImageId Id, BlobReference Blob, UploadWorkflow Workflow);

/// <summary>Ingest's <c>GET /images/{id}/status</c>: the state of the image's workflow (the record is the store's to answer).</summary>
public sealed record ImageStatusView(ImageId Id, WorkflowStatusView Workflow);

/// <summary>A workflow instance's state, as daprd reports it, and what it waits for while a step is retried.</summary>
/// <param name="RuntimeStatus">daprd's runtime status.</param>
/// <param name="CreatedAt">When the instance was created.</param>
/// <param name="LastUpdatedAt">When its state last changed.</param>
/// <param name="FailureType">For a failed instance, the kind of failure.</param>
/// <param name="FailureMessage">For a failed instance, a sentence saying why (never an internal address).</param>
/// <param name="WaitingFor">While a step is being retried: which service it waits for and when the next attempt is.</param>
public sealed record WorkflowStatusView(
    WorkflowRunStatus RuntimeStatus,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt,
    string? FailureType = null,
    string? FailureMessage = null,
    WaitingFor? WaitingFor = null);

/// <summary>A step that failed for a reason outside the image and will be tried again.</summary>
/// <param name="Service">The app id the step calls (<c>extractor</c>, <c>store</c>).</param>
/// <param name="Until">When the next attempt starts.</param>
/// <param name="Attempt">The number of the next attempt (the first retry is 2).</param>
public sealed record WaitingFor(string Service, DateTimeOffset Until, int Attempt);
