using Dapr.Workflow;
using ImageMeta.Contracts;

namespace ImageMeta.Ingest;

/// <summary>A reprocessing job's counts so far (see <see cref="ReprocessingJob"/> for what each one means).</summary>
public sealed record ReprocessingCounts(long Matched, long Started, long Done, long Failed)
{
    public static readonly ReprocessingCounts None = new(0, 0, 0, 0);
}

/// <summary>
/// One run of a reprocessing job: the job, what it runs again and how many at once, where in the store it is (the
/// keyset cursor of the next page; null before the first), and the counts so far. The settings travel in the input
/// because workflow code may not take dependencies (the SDK's DAPR1305), and each continue-as-new carries them on.
/// </summary>
public sealed record ReprocessingInput(
    string JobId,
    ReprocessingFilter Filter,
    int Concurrency,
    int PageSize,
    ActivityRetry Retry,
    DateTimeOffset CreatedAt,
    string? Cursor = null,
    ReprocessingCounts? Counts = null);

/// <summary>What <c>ReadReprocessingPage</c> is asked: the filter, the keyset cursor (null: the first page) and the page size.</summary>
public sealed record ReprocessingPageRequest(ReprocessingFilter Filter, string? Cursor, int PageSize);

/// <summary>
/// One page of matching records: the blob versions to run again (recorded references; a record of a name that breaks
/// the name rule is left out, since its original name is not kept and a run under the safe rendering could only lose
/// its <c>invalid-name</c> class), and the cursor of the next page (null: this was the last).
/// </summary>
public sealed record ReprocessingPage(IReadOnlyList<BlobReference> Blobs, string? NextCursor);

/// <summary>
/// A reprocessing job. Each run reads one page of the store's matching records (keyset order by the store's insertion
/// sequence, which an update keeps, so a record that stops matching after it is reprocessed moves neither the pages
/// before nor after it: nothing is skipped or read twice), runs <see cref="ImageMetadataWorkflow"/> as a child for each,
/// at most <see cref="ReprocessingInput.Concurrency"/> at once, waits for the page's children, and continues as new
/// with the next cursor and the counts, so history holds one page at most. The child's instance id is the job id and
/// the image id (which names the blob version), so a replay after an ingest restart finds the children it started in
/// history instead of starting them again. The counts are the custom status after every change; the job completes
/// with them when the cursor is exhausted. Running the same filter twice is harmless: each run stores a new record and
/// the newer write wins, as for any other run.
/// </summary>
public sealed class ReprocessingWorkflow : Workflow<ReprocessingInput, ReprocessingCounts>
{
    public override async Task<ReprocessingCounts> RunAsync(WorkflowContext context, ReprocessingInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var counts = input.Counts ?? ReprocessingCounts.None;
        context.SetCustomStatus(counts);

        // The store failing past the retries fails the job; its status names the step. Nothing is half-done: every
        // child of the earlier pages has finished, so the job can be started again with the same filter.
        var page = await ImageMetadataWorkflow.WithRetriesAsync<ReprocessingPage>(
            context, DaprTopology.Workflows.ReadReprocessingPageActivity, new ReprocessingPageRequest(input.Filter, input.Cursor, input.PageSize), input.Retry);
        counts = counts with { Matched = counts.Matched + page.Blobs.Count };
        context.SetCustomStatus(counts);

        var running = new List<Task<ImageWorkflowResult>>(input.Concurrency);
        foreach (var blob in page.Blobs)
        {
            if (running.Count >= input.Concurrency)
            {
                counts = Tally(counts, await TakeFinishedAsync(running));
                context.SetCustomStatus(counts);
            }

            var child = new ImageWorkflowInput(blob, input.Retry, ImageTrigger.Reprocess, NameProblem: null, AnalyzeInOneCall: true);
            running.Add(context.CallChildWorkflowAsync<ImageWorkflowResult>(
                DaprTopology.Workflows.ImageMetadata, child, new ChildWorkflowTaskOptions(ChildInstanceId(input.JobId, blob.ImageId))));
            counts = counts with { Started = counts.Started + 1 };
            context.SetCustomStatus(counts);
        }

        while (running.Count > 0)
        {
            counts = Tally(counts, await TakeFinishedAsync(running));
            context.SetCustomStatus(counts);
        }

        if (page.NextCursor is null)
        {
            return counts;
        }

        context.ContinueAsNew(input with { Cursor = page.NextCursor, Counts = counts }, preserveUnprocessedEvents: false);
        return counts;
    }

    /// <summary>The child workflow's instance id for one image in one job (letters, digits and <c>-</c>, as daprd allows).</summary>
    public static string ChildInstanceId(string jobId, ImageId image) => $"{jobId}-{image}";

    /// <summary>Removes the first child to finish and answers its outcome: its record's status, or null when it stored none.</summary>
    private static async Task<string?> TakeFinishedAsync(List<Task<ImageWorkflowResult>> running)
    {
        var finished = await Task.WhenAny(running);
        running.Remove(finished);
        try
        {
            return (await finished).Status;
        }
        catch (WorkflowTaskFailedException)
        {
            // The child failed (its record could not be stored): the image keeps its old record, and counts as failed.
            return null;
        }
    }

    private static ReprocessingCounts Tally(ReprocessingCounts counts, string? status) => counts with
    {
        Done = counts.Done + 1,
        Failed = counts.Failed + (status is ImageStatus.Succeeded or ImageWorkflowResult.DeletedStatus ? 0 : 1),
    };
}
