using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ImageMeta.Workflow;

/// <summary>Registration of the workflow worker and client, shaped like Dapr.Workflow's <c>AddDaprWorkflow</c>.</summary>
public static class WorkflowServiceCollectionExtensions
{
    /// <summary>
    /// Registers the workflows and activities <paramref name="configure"/> names, the hosted worker that
    /// serves them to the sidecar, and <see cref="DaprWorkflowClient"/>.
    /// </summary>
    public static IServiceCollection AddDaprWorkflow(this IServiceCollection services, Action<WorkflowRuntimeOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<WorkflowRuntimeOptions>()
            .Configure(configure)
            .Validate(o => o.MaxConcurrentActivities > 0 && o.MaxConcurrentWorkflows > 0, "Workflow concurrency limits must be positive.")
            .Validate(o => o.ReconnectMinDelay > TimeSpan.Zero && o.ReconnectMaxDelay >= o.ReconnectMinDelay, "Reconnect delays must be positive and ordered.")
            .ValidateOnStart();
        services.TryAddSingleton<SidecarConnection>();
        services.TryAddSingleton<DaprWorkflowClient>();
        services.AddHostedService<WorkflowWorker>();
        return services;
    }
}
