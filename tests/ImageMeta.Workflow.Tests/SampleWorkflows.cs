using System.Collections.Concurrent;
using Dapr.Workflow;

namespace WorkflowSamples;

// Workflows and activities written the way a Dapr user writes them with the official Dapr.Workflow SDK.
// They report to a probe (a DI singleton) so tests can see how often code ran and whether it was replaying.

/// <summary>What the samples report back to the tests.</summary>
public sealed class SampleProbe
{
    public ConcurrentDictionary<string, int> Attempts { get; } = new();

    /// <summary>Held closed by tests that need an activity to be in flight.</summary>
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completed when a gated activity has started.</summary>
    public TaskCompletionSource GateReached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Count(string key) => Attempts.GetValueOrDefault(key);

    public int Bump(string key) => Attempts.AddOrUpdate(key, 1, (_, n) => n + 1);
}

public sealed class UpperActivity(SampleProbe probe) : WorkflowActivity<string, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        probe.Bump($"{context.InstanceId}/upper");
        return Task.FromResult(input.ToUpperInvariant());
    }
}

public sealed class ExclaimActivity(SampleProbe probe) : WorkflowActivity<string, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        probe.Bump($"{context.InstanceId}/exclaim");
        return Task.FromResult(input + "!");
    }
}

/// <summary>Waits for the probe's gate before answering, so a test can act while it is in flight.</summary>
public sealed class GatedActivity(SampleProbe probe) : WorkflowActivity<string, string>
{
    public override async Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        probe.Bump($"{context.InstanceId}/gated");
        probe.GateReached.TrySetResult();
        await probe.Gate.Task;
        return input + "+gated";
    }
}

public sealed class LengthActivity : WorkflowActivity<string, int>
{
    public override Task<int> RunAsync(WorkflowActivityContext context, string input) => Task.FromResult(input.Length);
}

public sealed class EchoActivity : WorkflowActivity<string, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, string input) => Task.FromResult(input);
}

/// <summary>Throws until it has been called <see cref="FlakyInput.FailuresBeforeSuccess"/> times for the instance.</summary>
public sealed class FlakyActivity(SampleProbe probe) : WorkflowActivity<FlakyInput, int>
{
    public override Task<int> RunAsync(WorkflowActivityContext context, FlakyInput input)
    {
        var attempt = probe.Bump($"{context.InstanceId}/flaky");
        return attempt <= input.FailuresBeforeSuccess
            ? throw new InvalidOperationException($"transient failure {attempt}")
            : Task.FromResult(attempt);
    }
}

public sealed record FlakyInput(int FailuresBeforeSuccess, int MaxAttempts, int RetryTimeoutMs = 0);

/// <summary>
/// The non-retriable pattern for the 1.19 SDK: its RetryInterceptor retries every WorkflowTaskFailedException, so a
/// permanent failure is returned as a typed outcome instead of thrown; only transient failures throw.
/// </summary>
public sealed class ClassifyActivity(SampleProbe probe) : WorkflowActivity<string, ClassifyOutcome>
{
    public override Task<ClassifyOutcome> RunAsync(WorkflowActivityContext context, string input)
    {
        probe.Bump($"{context.InstanceId}/classify");
        return Task.FromResult(input.StartsWith("bad", StringComparison.Ordinal)
            ? new ClassifyOutcome(null, "UnsupportedFormat", $"cannot read '{input}'")
            : new ClassifyOutcome(input.Length, null, null));
    }
}

public sealed record ClassifyOutcome(int? Value, string? FailureClass, string? FailureMessage);

/// <summary>
/// Where workflow code reports its passes: workflows get no dependency injection in the SDK (analyzer DAPR1305), so a
/// static log keyed by instance id stands in for what a user would log with a replay-safe logger.
/// </summary>
public static class WorkflowPasses
{
    public static ConcurrentQueue<(string InstanceId, string Point, bool Replaying)> All { get; } = new();

    public static List<(string Point, bool Replaying)> Of(string instanceId) =>
        [.. All.Where(p => p.InstanceId == instanceId).Select(p => (p.Point, p.Replaying))];
}

public sealed class ChainWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        WorkflowPasses.All.Enqueue((context.InstanceId, "start", context.IsReplaying));
        var upper = await context.CallActivityAsync<string>(nameof(UpperActivity), input);
        WorkflowPasses.All.Enqueue((context.InstanceId, "after-upper", context.IsReplaying));
        var result = await context.CallActivityAsync<string>(nameof(ExclaimActivity), upper);
        WorkflowPasses.All.Enqueue((context.InstanceId, "after-exclaim", context.IsReplaying));
        return result;
    }
}

public sealed class FanOutWorkflow : Workflow<string[], int>
{
    public override async Task<int> RunAsync(WorkflowContext context, string[] input)
    {
        var lengths = await Task.WhenAll(input.Select(word => context.CallActivityAsync<int>(nameof(LengthActivity), word)));
        return lengths.Sum();
    }
}

public sealed class RetryingWorkflow : Workflow<FlakyInput, int>
{
    public override Task<int> RunAsync(WorkflowContext context, FlakyInput input)
    {
        TimeSpan? timeout = input.RetryTimeoutMs > 0 ? TimeSpan.FromMilliseconds(input.RetryTimeoutMs) : null;
        var policy = new WorkflowRetryPolicy(input.MaxAttempts, TimeSpan.FromMilliseconds(100), 2.0, retryTimeout: timeout);
        return context.CallActivityAsync<int>(nameof(FlakyActivity), input, new WorkflowTaskOptions(policy));
    }
}

public sealed class ClassifyingWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var policy = new WorkflowRetryPolicy(5, TimeSpan.FromMilliseconds(50), 2.0);
        var outcome = await context.CallActivityAsync<ClassifyOutcome>(nameof(ClassifyActivity), input, new WorkflowTaskOptions(policy));
        return outcome.FailureClass is { } failure ? $"failed:{failure}" : $"ok:{outcome.Value}";
    }
}

public sealed class TimerWorkflow : Workflow<int, DateTime[]>
{
    public override async Task<DateTime[]> RunAsync(WorkflowContext context, int delayMs)
    {
        var before = context.CurrentUtcDateTime;
        await context.CreateTimer(TimeSpan.FromMilliseconds(delayMs));
        WorkflowPasses.All.Enqueue((context.InstanceId, "after-timer", context.IsReplaying));
        return [before, context.CurrentUtcDateTime];
    }
}

public sealed class ApprovalWorkflow : Workflow<int, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, int timeoutMs)
    {
        try
        {
            var approver = await context.WaitForExternalEventAsync<string>("approval", TimeSpan.FromMilliseconds(timeoutMs));
            return $"approved by {approver}";
        }
        catch (TaskCanceledException)
        {
            return "timed out";
        }
    }
}

/// <summary>Waits for "go", then runs one activity: used to show that a suspended instance runs no steps.</summary>
public sealed class GoWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var go = await context.WaitForExternalEventAsync<string>("go");
        return await context.CallActivityAsync<string>(nameof(UpperActivity), $"{input}-{go}");
    }
}

public sealed class ParentWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var child = await context.CallChildWorkflowAsync<string>(nameof(ChainWorkflow), input, new ChildWorkflowTaskOptions($"{context.InstanceId}-child"));
        return $"parent({child})";
    }
}

public sealed class FailingParentWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        try
        {
            await context.CallChildWorkflowAsync<string>(nameof(ThrowingWorkflow), input, new ChildWorkflowTaskOptions($"{context.InstanceId}-child"));
            return "child succeeded";
        }
        catch (WorkflowTaskFailedException e)
        {
            return $"child failed: {e.FailureDetails.ErrorMessage}";
        }
    }
}

public sealed class ThrowingWorkflow : Workflow<string, string>
{
    public override Task<string> RunAsync(WorkflowContext context, string input) =>
        throw new InvalidOperationException($"refused {input}");
}

public sealed class CountingWorkflow : Workflow<int, int>
{
    public override async Task<int> RunAsync(WorkflowContext context, int input)
    {
        await context.CallActivityAsync<string>(nameof(EchoActivity), $"round {input}");
        if (input < 3)
        {
            context.ContinueAsNew(input + 1);
            return -1;
        }

        return input;
    }
}

public sealed class GatedWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var first = await context.CallActivityAsync<string>(nameof(UpperActivity), input);
        return await context.CallActivityAsync<string>(nameof(GatedActivity), first);
    }
}

public sealed class LengthWorkflow : Workflow<string, int>
{
    public override Task<int> RunAsync(WorkflowContext context, string input) => Task.FromResult(input.Length);
}

public sealed class EchoWorkflow : Workflow<string, int>
{
    public override async Task<int> RunAsync(WorkflowContext context, string input)
    {
        var echoed = await context.CallActivityAsync<string>(nameof(EchoActivity), input);
        return echoed.Length;
    }
}

/// <summary>A parent whose child waits an hour for an approval: used to terminate and purge a tree.</summary>
public sealed class WaitingParentWorkflow : Workflow<string, string>
{
    public override Task<string> RunAsync(WorkflowContext context, string input) =>
        context.CallChildWorkflowAsync<string>(nameof(ApprovalWorkflow), 3_600_000, new ChildWorkflowTaskOptions($"{context.InstanceId}-child"));
}
