using System.Text.Json;

namespace ImageMeta.Workflow;

/// <summary>
/// Which workflows and activities this app hosts, and how the worker talks to its sidecar. Filled in by
/// <see cref="WorkflowServiceCollectionExtensions.AddDaprWorkflow"/>; the registration methods have the
/// names Dapr.Workflow's <c>WorkflowRuntimeOptions</c> uses.
/// </summary>
public sealed class WorkflowRuntimeOptions
{
    internal Dictionary<string, Type> Workflows { get; } = new(StringComparer.Ordinal);

    internal Dictionary<string, Type> Activities { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Orchestrator work items processed at once. Replaying is short CPU work, but each item also waits for its
    /// answer to reach the sidecar, so the limit is well above the core count.
    /// </summary>
    public int MaxConcurrentWorkflows { get; set; } = 64;

    /// <summary>Activity work items processed at once (they do I/O).</summary>
    public int MaxConcurrentActivities { get; set; } = 64;

    /// <summary>First wait before reconnecting to the sidecar; doubled after every failed attempt.</summary>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Cap on the reconnect wait.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The sidecar's gRPC endpoint. When null: <c>DAPR_GRPC_ENDPOINT</c>, else <c>http://127.0.0.1:$DAPR_GRPC_PORT</c>
    /// (default port 50001), read from configuration.
    /// </summary>
    public string? GrpcEndpoint { get; set; }

    /// <summary>Largest gRPC message accepted or sent (histories grow with every step).</summary>
    public int MaxMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>How workflow and activity inputs and outputs are (de)serialized; web defaults like the Dapr SDK.</summary>
    public JsonSerializerOptions JsonSerializerOptions { get; set; } = new(JsonSerializerDefaults.Web);

    /// <summary>Hosts workflow <typeparamref name="TWorkflow"/> under its type name.</summary>
    public void RegisterWorkflow<TWorkflow>()
        where TWorkflow : class, IWorkflow => RegisterWorkflow<TWorkflow>(typeof(TWorkflow).Name);

    /// <summary>Hosts workflow <typeparamref name="TWorkflow"/> under <paramref name="name"/>.</summary>
    public void RegisterWorkflow<TWorkflow>(string name)
        where TWorkflow : class, IWorkflow => Register(Workflows, "workflow", name, typeof(TWorkflow));

    /// <summary>Hosts activity <typeparamref name="TActivity"/> under its type name.</summary>
    public void RegisterActivity<TActivity>()
        where TActivity : class, IWorkflowActivity => RegisterActivity<TActivity>(typeof(TActivity).Name);

    /// <summary>Hosts activity <typeparamref name="TActivity"/> under <paramref name="name"/>.</summary>
    public void RegisterActivity<TActivity>(string name)
        where TActivity : class, IWorkflowActivity => Register(Activities, "activity", name, typeof(TActivity));

    private static void Register(Dictionary<string, Type> registry, string kind, string name, Type type)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!registry.TryAdd(name, type))
        {
            throw new InvalidOperationException($"A {kind} named '{name}' is already registered ({registry[name].FullName}).");
        }
    }
}
