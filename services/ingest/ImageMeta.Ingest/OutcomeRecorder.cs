using Dapr.Workflow;
using Grpc.Core;
using ImageMeta.Contracts;

namespace ImageMeta.Ingest;

/// <summary>
/// Records in <see cref="IngestMetrics"/> how each image ended, from SaveMetadata. The blob-to-record time starts at
/// the blob's last change; storage that reports no time (the local-storage binding) leaves the workflow's creation,
/// which the trigger made right after it saw the blob, as the nearest start. Metrics never fail the activity.
/// </summary>
public sealed class OutcomeRecorder(IngestMetrics metrics, IDaprWorkflowClient workflows)
{
    public async Task RecordAsync(string instanceId, ImageRecord record, SaveOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(outcome);
        var since = record.Blob.LastModified;
        if (since is null && outcome.Rejection is null && !outcome.WasDeleted)
        {
            try
            {
                since = (await workflows.GetWorkflowStateAsync(instanceId, getInputsAndOutputs: false))?.CreatedAt;
            }
            catch (Exception e) when (e is RpcException or HttpRequestException or InvalidOperationException)
            {
                // The duration goes unrecorded for this image; the outcome is still counted.
            }
        }

        metrics.RecordSaved(record, stored: outcome.Rejection is null && !outcome.WasDeleted, since, DateTimeOffset.UtcNow);
    }
}
