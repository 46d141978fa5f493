using System.Collections.Concurrent;
using ImageMeta.Workflow;

namespace WorkflowSamples;

// Sample workflows and activities written exactly as one would with Dapr.Workflow: only the using differs
// (ImageMeta.Workflow instead of Dapr.Workflow).

/// <summary>What the samples report back to the tests (a DI singleton, like any app service).</summary>
public sealed class SampleProbe
{
    public ConcurrentDictionary<string, int> Attempts { get; } = new();

    public ConcurrentQueue<(string InstanceId, string Point, bool Replaying, DateTime Clock)> Passes { get; } = new();

    /// <summary>Which activity <see cref="ChangingWorkflow"/> asks for first; tests flip it to simulate a code change.</summary>
    public string FirstActivity { get; set; } = nameof(UpperActivity);

    /// <summary>Held closed by tests that need an activity to be in flight.</summary>
    public TaskCompletionSource Gate { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Count(string key) => Attempts.GetValueOrDefault(key);
}

public sealed class UpperActivity(SampleProbe probe) : WorkflowActivity<string, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        probe.Attempts.AddOrUpdate($"{context.InstanceId}/upper", 1, (_, n) => n + 1);
        return Task.FromResult(input.ToUpperInvariant());
    }
}

public sealed class ExclaimActivity : WorkflowActivity<string, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, string input) => Task.FromResult(input + "!");
}

public sealed class EchoActivity : WorkflowActivity<EchoPayload, EchoPayload>
{
    public override Task<EchoPayload> RunAsync(WorkflowActivityContext context, EchoPayload input) => Task.FromResult(input with { Hops = input.Hops + 1 });
}

public sealed record EchoPayload(string Text, int Hops);

/// <summary>Fails until it has been called <see cref="FlakyInput.FailuresBeforeSuccess"/> times for the instance.</summary>
public sealed class FlakyActivity(SampleProbe probe) : WorkflowActivity<FlakyInput, int>
{
    public override Task<int> RunAsync(WorkflowActivityContext context, FlakyInput input)
    {
        var attempt = probe.Attempts.AddOrUpdate($"{context.InstanceId}/flaky", 1, (_, n) => n + 1);
        return attempt <= input.FailuresBeforeSuccess
            ? throw new InvalidOperationException($"transient failure {attempt}")
            : Task.FromResult(attempt);
    }
}

public sealed record FlakyInput(int FailuresBeforeSuccess, int MaxAttempts);

public sealed class RejectActivity(SampleProbe probe) : WorkflowActivity<string, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        probe.Attempts.AddOrUpdate($"{context.InstanceId}/reject", 1, (_, n) => n + 1);
        throw new NonRetriableActivityException("BadInput", $"'{input}' can never succeed");
    }
}

public sealed class GatedActivity(SampleProbe probe) : WorkflowActivity<string, string>
{
    public override async Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        probe.Attempts.AddOrUpdate($"{context.InstanceId}/gated", 1, (_, n) => n + 1);
        await probe.Gate.Task;
        return input + " passed";
    }
}

/// <summary>A → B, B gets A's output.</summary>
public sealed class ChainWorkflow(SampleProbe probe) : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        probe.Passes.Enqueue((context.InstanceId, "start", context.IsReplaying, context.CurrentUtcDateTime));
        var upper = await context.CallActivityAsync<string>(nameof(UpperActivity), input);
        probe.Passes.Enqueue((context.InstanceId, "after-upper", context.IsReplaying, context.CurrentUtcDateTime));
        return await context.CallActivityAsync<string>(nameof(ExclaimActivity), upper);
    }
}

public sealed class EchoWorkflow : Workflow<EchoPayload, EchoPayload>
{
    public override async Task<EchoPayload> RunAsync(WorkflowContext context, EchoPayload input) =>
        await context.CallActivityAsync<EchoPayload>(nameof(EchoActivity), input);
}

public sealed class RetryingWorkflow : Workflow<FlakyInput, int>
{
    public override Task<int> RunAsync(WorkflowContext context, FlakyInput input) =>
        context.CallActivityAsync<int>(nameof(FlakyActivity), input, new WorkflowTaskOptions(
            new WorkflowRetryPolicy(input.MaxAttempts, TimeSpan.FromMilliseconds(100), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMilliseconds(300))));
}

/// <summary>Retries every 200 ms with a generous attempt limit, but only within 1.5 s of the first attempt.</summary>
public sealed class RetryWindowWorkflow : Workflow<FlakyInput, int>
{
    public override Task<int> RunAsync(WorkflowContext context, FlakyInput input) =>
        context.CallActivityAsync<int>(nameof(FlakyActivity), input, new WorkflowTaskOptions(
            new WorkflowRetryPolicy(100, TimeSpan.FromMilliseconds(200), retryTimeout: TimeSpan.FromMilliseconds(1500))));
}

/// <summary>Catches a non-retriable failure and reports its type.</summary>
public sealed class RejectingWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        try
        {
            return await context.CallActivityAsync<string>(nameof(RejectActivity), input, new WorkflowTaskOptions(
                new WorkflowRetryPolicy(5, TimeSpan.FromMilliseconds(50))));
        }
        catch (WorkflowTaskFailedException e)
        {
            return $"rejected:{e.FailureDetails.ErrorType}:{e.FailureDetails.IsNonRetriable}";
        }
    }
}

public sealed class TimerWorkflow : Workflow<int, DateTime[]>
{
    public override async Task<DateTime[]> RunAsync(WorkflowContext context, int milliseconds)
    {
        var before = context.CurrentUtcDateTime;
        await context.CreateTimer(TimeSpan.FromMilliseconds(milliseconds));
        return [before, context.CurrentUtcDateTime];
    }
}

public sealed class ApprovalWorkflow : Workflow<int, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, int timeoutMilliseconds)
    {
        try
        {
            var decision = await context.WaitForExternalEventAsync<string>("approval", TimeSpan.FromMilliseconds(timeoutMilliseconds));
            return "approved by " + decision;
        }
        catch (TaskCanceledException)
        {
            return "timed out";
        }
    }
}

/// <summary>Asks for whichever activity the probe names, then waits for "go": a stand-in for code that changed between deployments.</summary>
public sealed class ChangingWorkflow(SampleProbe probe) : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var first = await context.CallActivityAsync<string>(probe.FirstActivity, input);
        await context.WaitForExternalEventAsync<string>("go");
        return first;
    }
}

/// <summary>A gated activity, then an event, then another activity: lets tests stop workers at chosen points.</summary>
public sealed class PausingWorkflow(SampleProbe probe) : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var upper = await context.CallActivityAsync<string>(nameof(UpperActivity), input);
        var suffix = await context.WaitForExternalEventAsync<string>("continue");
        probe.Passes.Enqueue((context.InstanceId, "continued", context.IsReplaying, context.CurrentUtcDateTime));
        return await context.CallActivityAsync<string>(nameof(GatedActivity), upper + suffix);
    }
}

public sealed class ThrowingWorkflow : Workflow<string, string>
{
    public override Task<string> RunAsync(WorkflowContext context, string input) =>
        throw new ArgumentException($"cannot handle '{input}'");
}

public sealed class GuidWorkflow : Workflow<string, Guid[]>
{
    public override async Task<Guid[]> RunAsync(WorkflowContext context, string input)
    {
        var first = context.NewGuid();
        await context.CreateTimer(TimeSpan.FromMilliseconds(20));
        return [first, context.NewGuid()];
    }
}
