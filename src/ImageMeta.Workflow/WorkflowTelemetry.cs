using System.Diagnostics;
using ImageMeta.Workflow.Protocol;

namespace ImageMeta.Workflow;

/// <summary>
/// Spans for workflow steps and activity executions. Each is parented on the trace context the sidecar
/// hands over (the execution-started event's, or the activity request's), so the trace that started a
/// workflow continues through it and into the calls activities make.
/// </summary>
public static class WorkflowTelemetry
{
    /// <summary>The ActivitySource name to add to an OpenTelemetry tracer provider.</summary>
    public const string SourceName = "ImageMeta.Workflow";

    internal static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// The parent of a workflow step's span: the sidecar's run span when history names one (same trace, span id
    /// from the execution-started event), else the trace context the run was started with.
    /// </summary>
    internal static TraceContext? WorkflowParent(ExecutionStartedEvent? started)
    {
        if (started?.ParentTraceContext is not { TraceParent.Length: > 0 } parent
            || started.OrchestrationSpanId is not { Length: 16 } runSpan
            || !ActivityContext.TryParse(parent.TraceParent, parent.TraceState, out var context))
        {
            return started?.ParentTraceContext;
        }

        var flags = context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded) ? "01" : "00";
        return new TraceContext { TraceParent = $"00-{context.TraceId.ToHexString()}-{runSpan}-{flags}", TraceState = parent.TraceState };
    }

    internal static Activity? StartSpan(string name, TraceContext? parent, string instanceId)
    {
        ActivityContext parentContext = default;
        if (parent is { TraceParent.Length: > 0 })
        {
            _ = ActivityContext.TryParse(parent.TraceParent, parent.TraceState, isRemote: true, out parentContext);
        }

        var span = Source.StartActivity(name, ActivityKind.Internal, parentContext);
        span?.SetTag("workflow.instance_id", instanceId);
        return span;
    }
}
