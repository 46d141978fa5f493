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
