using System.Text.RegularExpressions;
using Dapr.Client;
using Dapr.Workflow;
using ImageMeta.Contracts;
using Microsoft.Extensions.Options;

namespace ImageMeta.Ingest;

/// <summary>Activity <c>ReadReprocessingPage</c>: one keyset page of the store's records that match a job's filter.</summary>
public sealed class ReadReprocessingPageActivity(StoreCalls store) : WorkflowActivity<ReprocessingPageRequest, ReprocessingPage>
{
    public override async Task<ReprocessingPage> RunAsync(WorkflowActivityContext context, ReprocessingPageRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var page = await store.MatchingPageAsync(input.Filter, input.Cursor, input.PageSize, CancellationToken.None);
        var blobs = page.Items.Where(r => r.Failure?.Class != FailureClass.InvalidName).Select(r => r.Blob).ToList();
        return new ReprocessingPage(blobs, page.NextCursor);
    }
}

/// <summary>What a pause, resume or cancel found.</summary>
public enum JobChange
{
    /// <summary>Done (or nothing to do: the job was in that state already).</summary>
    Applied,

    /// <summary>No job with this id.</summary>
    Unknown,

    /// <summary>The job has finished: it can be neither paused, resumed nor canceled.</summary>
    Finished,
}

/// <summary>
/// Reprocessing jobs: starting one (a <see cref="ReprocessingWorkflow"/> under a new job id, listed in the job index),
/// reading one's progress from its workflow (input, custom status, output), listing the newest, and pausing, resuming
/// and canceling one (the workflow's suspend, resume and terminate). The index is one key in the Dapr state store the
/// sweep already uses, written with its ETag (first-write-wins), newest first and bounded by
/// <see cref="IngestOptions.ReprocessingJobsListed"/>: the engine offers no listing by workflow name, and a bounded
/// list keeps <c>GET /reprocessing</c> one read plus one state query per job.
/// </summary>
public sealed partial class ReprocessingJobControl(IDaprWorkflowClient workflows, DaprClient dapr, IOptions<IngestOptions> options, TimeProvider clock)
{
    /// <summary>The state key of the job index.</summary>
    public const string IndexKey = "reprocessing-jobs";

    /// <summary>Attempts to add a job to the index when other starts keep changing it in between.</summary>
    private const int IndexAttempts = 10;

    /// <summary>Whether <paramref name="id"/> has the shape of a job id (<c>reprocess-</c> and 32 lowercase hex characters).</summary>
    public static bool IsJobId(string? id) => id is not null && JobIdShape().IsMatch(id);

    /// <summary>Starts a job (the request is valid) and answers its first view.</summary>
    /// <exception cref="global::Dapr.DaprException">The state store could not be written.</exception>
    /// <exception cref="Grpc.Core.RpcException">The workflow engine refused or could not be asked.</exception>
    public async Task<ReprocessingJob> StartAsync(ReprocessingRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var settings = options.Value;
        var id = $"reprocess-{Guid.NewGuid():N}";
        var input = new ReprocessingInput(
            id, request.Filter ?? new ReprocessingFilter(), request.Concurrency, settings.ReprocessingPageSize, settings.ActivityRetry(), clock.GetUtcNow(), null, ReprocessingCounts.None);

        // Listed first: a job the index names but the engine never started reads as unknown and is left out of the
        // list, whereas a job started but never listed would run unseen.
        await AddToIndexAsync(id, cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(settings.WorkflowStartTimeout);
        await workflows.ScheduleNewWorkflowAsync(DaprTopology.Workflows.Reprocessing, id, input, startTime: null, deadline.Token);
        return await FindAsync(id, cancellationToken) ?? View(input, ReprocessingState.Running, ReprocessingCounts.None, input.CreatedAt);
    }

    /// <summary>The job's progress, or null when the engine has no job with this id.</summary>
    public async Task<ReprocessingJob?> FindAsync(string id, CancellationToken cancellationToken)
    {
        var state = await workflows.GetWorkflowStateAsync(id, getInputsAndOutputs: true, cancellationToken);
        if (state is not { Exists: true } || state.WorkflowName != DaprTopology.Workflows.Reprocessing || state.ReadInputAs<ReprocessingInput>() is not { } input)
        {
            return null;
        }

        var jobState = StateOf(state.RuntimeStatus.RunStatus());
        var counts = (jobState == ReprocessingState.Completed ? state.ReadOutputAs<ReprocessingCounts>() : null)
            ?? CustomStatus(state)
            ?? input.Counts
            ?? ReprocessingCounts.None;
        return View(input, jobState, counts, state.LastUpdatedAt);
    }

    /// <summary>The listed jobs, newest first (ids the engine no longer knows are left out).</summary>
    public async Task<IReadOnlyList<ReprocessingJob>> ListAsync(CancellationToken cancellationToken)
    {
        var (ids, _) = await ReadIndexAsync(cancellationToken);
        var jobs = await Task.WhenAll(ids.Select(id => FindAsync(id, cancellationToken)));
        return [.. jobs.OfType<ReprocessingJob>()];
    }

    /// <summary>Suspends the job's workflow: the children in flight finish, and no new one starts until it is resumed.</summary>
    public Task<JobChange> PauseAsync(string id, CancellationToken cancellationToken) =>
        ChangeAsync(id, ReprocessingState.Running, () => workflows.SuspendWorkflowAsync(id, "paused through the reprocessing API", cancellationToken), cancellationToken);

    /// <summary>Resumes a paused job's workflow.</summary>
    public Task<JobChange> ResumeAsync(string id, CancellationToken cancellationToken) =>
        ChangeAsync(id, ReprocessingState.Paused, () => workflows.ResumeWorkflowAsync(id, "resumed through the reprocessing API", cancellationToken), cancellationToken);

    /// <summary>Terminates the job's workflow (daprd terminates its running children with it): no new image starts.</summary>
    public Task<JobChange> CancelAsync(string id, CancellationToken cancellationToken) =>
        ChangeAsync(id, null, () => workflows.TerminateWorkflowAsync(id, "canceled through the reprocessing API", cancellationToken), cancellationToken);

    private async Task<JobChange> ChangeAsync(string id, ReprocessingState? appliesTo, Func<Task> change, CancellationToken cancellationToken)
    {
        if (await FindAsync(id, cancellationToken) is not { } job)
        {
            return JobChange.Unknown;
        }

        if (job.State is not (ReprocessingState.Running or ReprocessingState.Paused))
        {
            return JobChange.Finished;
        }

        // Pausing a paused job or resuming a running one changes nothing, and says so by succeeding.
        if (appliesTo is null || job.State == appliesTo)
        {
            await change();
        }

        return JobChange.Applied;
    }

    private async Task AddToIndexAsync(string id, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (ids, etag) = await ReadIndexAsync(cancellationToken);
            var next = new JobIndex([id, .. ids.Take(options.Value.ReprocessingJobsListed - 1)]);
            if (await dapr.TrySaveStateAsync(options.Value.SweepStateStore, IndexKey, next, etag, cancellationToken: cancellationToken) || attempt >= IndexAttempts)
            {
                return;
            }
        }
    }

    private async Task<(IReadOnlyList<string> Ids, string ETag)> ReadIndexAsync(CancellationToken cancellationToken)
    {
        var (index, etag) = await dapr.GetStateAndETagAsync<JobIndex?>(options.Value.SweepStateStore, IndexKey, cancellationToken: cancellationToken);
        return (index?.Ids ?? [], etag ?? string.Empty);
    }

    private static ReprocessingCounts? CustomStatus(WorkflowState state)
    {
        try
        {
            return state.ReadCustomStatusAs<ReprocessingCounts>();
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static ReprocessingState StateOf(WorkflowRunStatus status) => status switch
    {
        WorkflowRunStatus.Suspended => ReprocessingState.Paused,
        WorkflowRunStatus.Completed => ReprocessingState.Completed,
        WorkflowRunStatus.Terminated or WorkflowRunStatus.Canceled => ReprocessingState.Canceled,
        // A stalled job waits for an operator as a failed one does.
        WorkflowRunStatus.Failed or WorkflowRunStatus.Stalled => ReprocessingState.Failed,
        _ => ReprocessingState.Running,
    };

    private static ReprocessingJob View(ReprocessingInput input, ReprocessingState state, ReprocessingCounts counts, DateTimeOffset lastUpdatedAt) =>
        new(input.JobId, state, input.Filter, input.Concurrency, counts.Matched, counts.Started, counts.Done, counts.Failed, input.CreatedAt,
            lastUpdatedAt < input.CreatedAt ? input.CreatedAt : lastUpdatedAt);

    [GeneratedRegex("^reprocess-[0-9a-f]{32}$", RegexOptions.CultureInvariant)]
    private static partial Regex JobIdShape();

    /// <summary>The job index: job ids, newest first.</summary>
    private sealed record JobIndex(IReadOnlyList<string> Ids);
}
