namespace ImageMeta.Testing.Dapr.Pipeline;

/// <summary>
/// What the pipeline harness needs from the Durable Task engine double that sits behind ingest's
/// sidecar (the <c>TaskHubSidecarService</c> double). The engine lives in the test process, so its
/// instances and histories survive an ingest restart, as daprd's state store would.
/// </summary>
public interface IWorkflowEngineDouble : IWorkflowManagement, IAsyncDisposable
{
    /// <summary>Adds the engine's gRPC service to the ingest sidecar's options and sets it as their <see cref="SidecarOptions.Workflows"/>.</summary>
    SidecarOptions Attach(SidecarOptions ingestSidecar);

    /// <summary>Completes once an app holds a <c>GetWorkItems</c> stream open (the worker is connected).</summary>
    Task WaitForWorkerAsync(TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Every accepted start, in order; an id appears twice if a finished instance was replaced by a new run.</summary>
    IReadOnlyList<string> StartedInstanceIds { get; }

    /// <summary>The input JSON an instance was started with, or null when there is no such instance.</summary>
    string? InputOf(string instanceId);

    /// <summary>Instances not yet in a terminal state.</summary>
    int RunningCount { get; }

    /// <summary>Status and history of an instance in one line, for failure messages.</summary>
    string Describe(string instanceId);
}
