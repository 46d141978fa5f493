using System.Diagnostics;
using WorkflowSamples;

namespace ImageMeta.Workflow.Tests;

/// <summary>The worker against the engine double over real gRPC: what an app hosting workflows experiences.</summary>
public sealed class WorkflowWorkerTests : IAsyncLifetime
{
    private WorkflowHarness _h = null!;

    public async Task InitializeAsync() => _h = await WorkflowHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Activity_chain_passes_the_first_output_to_the_second_and_completes()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), "chain-1", "héllo wörld");

        var state = await _h.CompletionOf(id);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("HÉLLO WÖRLD!", state.ReadOutputAs<string>());
        Assert.Equal("héllo wörld", state.ReadInputAs<string>());
        Assert.Equal(1, _h.Probe.Count("chain-1/upper"));
    }

    [Fact]
    public async Task Each_step_replays_the_code_with_IsReplaying_set_and_the_same_clock()
    {
        await _h.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), "replay-1", "x");
        await _h.CompletionOf("replay-1");

        var passes = _h.Probe.Passes.Where(p => p.InstanceId == "replay-1").ToList();
        var starts = passes.Where(p => p.Point == "start").ToList();

        // Three episodes (start, after A, after B): the code starts three times, live only the first time.
        Assert.Equal(3, starts.Count);
        Assert.False(starts[0].Replaying);
        Assert.All(starts.Skip(1), p => Assert.True(p.Replaying));
        Assert.Single(starts.Select(p => p.Clock).Distinct());
        var afterUpper = passes.Where(p => p.Point == "after-upper").ToList();
        Assert.Equal(2, afterUpper.Count);
        Assert.False(afterUpper[0].Replaying);
        Assert.True(afterUpper[1].Replaying);
        Assert.Equal(afterUpper[0].Clock, afterUpper[1].Clock);
        Assert.True(afterUpper[0].Clock >= starts[0].Clock);
    }

    [Fact]
    public async Task A_failed_activity_is_retried_after_a_durable_timer_and_then_succeeds()
    {
        await _h.Client.ScheduleNewWorkflowAsync(nameof(RetryingWorkflow), "retry-ok", new FlakyInput(FailuresBeforeSuccess: 2, MaxAttempts: 4));

        var state = await _h.CompletionOf("retry-ok");

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal(3, state.ReadOutputAs<int>());
        var history = _h.Engine.HistoryOf("retry-ok");
        Assert.Equal(3, history.Count(e => e.TaskScheduled is not null));
        Assert.Equal(2, history.Count(e => e.TaskFailed is not null));
        var timers = history.Where(e => e.TimerCreated is not null).ToList();
        Assert.Equal(2, timers.Count);

        // Backoff: 100 ms, then 200 ms (coefficient 2), each measured from the step that scheduled it.
        var gaps = history.Where(e => e.TimerFired is not null)
            .Select(fired => fired.TimerFired.FireAt.ToDateTime() - history.Last(s => s.OrchestratorStarted is not null && s.Timestamp.ToDateTime() <= timers.First(t => t.EventId == fired.TimerFired.TimerId).Timestamp.ToDateTime()).Timestamp.ToDateTime())
            .ToList();
        Assert.Equal([TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200)], gaps);
        Assert.Equal(3, history.Where(e => e.TaskScheduled is not null).Select(e => e.TaskScheduled.TaskExecutionId).Distinct().Count());
    }

    [Fact]
    public async Task When_retries_are_exhausted_the_workflow_fails_with_the_activity_error()
    {
        await _h.Client.ScheduleNewWorkflowAsync(nameof(RetryingWorkflow), "retry-out", new FlakyInput(FailuresBeforeSuccess: 10, MaxAttempts: 3));

        var state = await _h.CompletionOf("retry-out");

        Assert.Equal(WorkflowRuntimeStatus.Failed, state.RuntimeStatus);
        Assert.Equal(typeof(WorkflowTaskFailedException).FullName, state.FailureDetails?.ErrorType);
        Assert.Contains("FlakyActivity", state.FailureDetails?.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("3 attempts", state.FailureDetails?.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("transient failure 3", state.FailureDetails?.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(3, _h.Probe.Count("retry-out/flaky"));
    }

    [Fact]
    public async Task The_retry_timeout_stops_retrying_long_before_the_attempt_limit()
    {
        await _h.Client.ScheduleNewWorkflowAsync(nameof(RetryWindowWorkflow), "retry-window", new FlakyInput(FailuresBeforeSuccess: 1000, MaxAttempts: 100));

        var state = await _h.CompletionOf("retry-window");

        // At most one attempt per 200 ms inside the 1.5 s window (8), however slow the machine; far below 100.
        Assert.Equal(WorkflowRuntimeStatus.Failed, state.RuntimeStatus);
        Assert.InRange(_h.Probe.Count("retry-window/flaky"), 2, 8);
        Assert.Contains("FlakyActivity", state.FailureDetails?.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_non_retriable_failure_is_not_retried_and_reaches_the_workflow_with_its_type()
    {
        await _h.Client.ScheduleNewWorkflowAsync(nameof(RejectingWorkflow), "reject-1", "bad");

        var state = await _h.CompletionOf("reject-1");

        Assert.Equal("rejected:BadInput:True", state.ReadOutputAs<string>());
        Assert.Equal(1, _h.Probe.Count("reject-1/reject"));
        Assert.DoesNotContain(_h.Engine.HistoryOf("reject-1"), e => e.TimerCreated is not null);
    }

    [Fact]
    public async Task An_exception_in_workflow_code_fails_the_instance_with_its_type_and_message()
    {
        await _h.Client.ScheduleNewWorkflowAsync(nameof(ThrowingWorkflow), "throw-1", "this");

        var state = await _h.CompletionOf("throw-1");

        Assert.Equal(WorkflowRuntimeStatus.Failed, state.RuntimeStatus);
        Assert.Equal(typeof(ArgumentException).FullName, state.FailureDetails?.ErrorType);
        Assert.Equal("cannot handle 'this'", state.FailureDetails?.ErrorMessage);
    }

    [Fact]
    public async Task A_durable_timer_delays_the_workflow_and_moves_its_clock()
    {
        var watch = Stopwatch.StartNew();
        await _h.Client.ScheduleNewWorkflowAsync(nameof(TimerWorkflow), "timer-1", 400);

        var state = await _h.CompletionOf("timer-1");

        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(400), $"finished after {watch.Elapsed}");
        var clock = state.ReadOutputAs<DateTime[]>()!;
        Assert.True(clock[1] - clock[0] >= TimeSpan.FromMilliseconds(400), $"clock moved {clock[1] - clock[0]}");
    }

    [Fact]
    public async Task An_external_event_is_received()
    {
        await _h.Client.ScheduleNewWorkflowAsync(nameof(ApprovalWorkflow), "approve-1", 30_000);
        await WorkflowHarness.WaitUntil(() => _h.Engine.HistoryOf("approve-1").Any(e => e.TimerCreated is not null), "the timeout timer");

        await _h.Client.RaiseEventAsync("approve-1", "Approval", "ana");
        var state = await _h.CompletionOf("approve-1");

        Assert.Equal("approved by ana", state.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Waiting_for_an_event_times_out_on_a_durable_timer()
    {
        await _h.Client.ScheduleNewWorkflowAsync(nameof(ApprovalWorkflow), "approve-2", 200);

        var state = await _h.CompletionOf("approve-2");

        Assert.Equal("timed out", state.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Code_that_asks_for_a_different_activity_than_history_fails_as_non_deterministic()
    {
        await _h.Client.ScheduleNewWorkflowAsync(nameof(ChangingWorkflow), "changed-1", "abc");
        await WorkflowHarness.WaitUntil(() => _h.Engine.HistoryOf("changed-1").Any(e => e.TaskCompleted is not null) && _h.Engine.RunningCount >= 1, "the first activity");
        await WorkflowHarness.WaitUntil(() => _h.Engine.Describe("changed-1").Contains("outstanding turn False", StringComparison.Ordinal), "the workflow to wait");

        _h.Probe.FirstActivity = nameof(ExclaimActivity);
        await _h.Client.RaiseEventAsync("changed-1", "go", "now");
        var state = await _h.CompletionOf("changed-1");

        Assert.Equal(WorkflowRuntimeStatus.Failed, state.RuntimeStatus);
        Assert.Equal(typeof(NonDeterministicWorkflowException).FullName, state.FailureDetails?.ErrorType);
        Assert.Contains("'UpperActivity'", state.FailureDetails?.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("'ExclaimActivity'", state.FailureDetails?.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Large_and_unicode_payloads_round_trip_unchanged()
    {
        // ~110k characters, ~600 kB as escaped JSON: history carries it four times (start, schedule, result,
        // output) and a work item must stay under daprd's default 4 MiB gRPC message limit.
        var text = string.Concat(Enumerable.Repeat("naïve 日本語 עברית 🚀 \"quoted\" \\ \u0001 ", 2_500));
        await _h.Client.ScheduleNewWorkflowAsync(nameof(EchoWorkflow), "echo-1", new EchoPayload(text, 0));

        var state = await _h.CompletionOf("echo-1");

        var output = state.ReadOutputAs<EchoPayload>()!;
        Assert.Equal(text, output.Text);
        Assert.Equal(1, output.Hops);
    }

    [Fact]
    public async Task A_hundred_instances_at_once_all_complete_with_their_own_results()
    {
        var ids = Enumerable.Range(0, 100).Select(i => $"many-{i}").ToList();
        await Task.WhenAll(ids.Select(id => _h.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), id, id)));

        var states = await Task.WhenAll(ids.Select(_h.CompletionOf));

        Assert.All(states, s => Assert.Equal(WorkflowRuntimeStatus.Completed, s.RuntimeStatus));
        Assert.Equal(ids.Select(id => id.ToUpperInvariant() + "!"), states.Select(s => s.ReadOutputAs<string>()));
        Assert.All(ids, id => Assert.Equal(1, _h.Probe.Count($"{id}/upper")));
    }

    [Fact]
    public async Task NewGuid_gives_the_same_values_on_replay_and_different_values_per_call()
    {
        await _h.Client.ScheduleNewWorkflowAsync(nameof(GuidWorkflow), "guid-1", "x");
        var first = (await _h.CompletionOf("guid-1")).ReadOutputAs<Guid[]>()!;

        Assert.NotEqual(first[0], first[1]);
        Assert.NotEqual(Guid.Empty, first[0]);
    }

    [Fact]
    public async Task A_worker_stopped_mid_instance_resumes_it_after_restart_without_redoing_finished_steps()
    {
        await _h.Client.ScheduleNewWorkflowAsync(nameof(PausingWorkflow), "restart-1", "abc");
        await WorkflowHarness.WaitUntil(() => _h.Engine.HistoryOf("restart-1").Any(e => e.TaskCompleted is not null), "the first activity");

        await _h.StopWorkerAsync();
        await _h.Client.RaiseEventAsync("restart-1", "continue", "-def");
        _h.Probe.Gate.SetResult();
        await _h.StartWorkerAsync();
        var state = await _h.CompletionOf("restart-1");

        Assert.Equal("ABC-def passed", state.ReadOutputAs<string>());
        Assert.Equal(1, _h.Probe.Count("restart-1/upper"));
        Assert.Equal(1, _h.Probe.Count("restart-1/gated"));
    }

    [Fact]
    public async Task Terminate_ends_a_running_instance_and_purge_removes_it()
    {
        await _h.Client.ScheduleNewWorkflowAsync(nameof(ApprovalWorkflow), "term-1", 60_000);
        await WorkflowHarness.WaitUntil(() => _h.Engine.HistoryOf("term-1").Any(e => e.TimerCreated is not null), "the workflow to wait");

        await _h.Client.TerminateWorkflowAsync("term-1");
        var state = await _h.CompletionOf("term-1");
        await _h.Client.PurgeInstanceAsync("term-1");

        Assert.Equal(WorkflowRuntimeStatus.Terminated, state.RuntimeStatus);
        Assert.Null(await _h.Client.GetWorkflowStateAsync("term-1"));
    }

    [Fact]
    public async Task Starting_a_running_id_is_refused_and_a_finished_one_is_replaced()
    {
        await _h.Client.ScheduleNewWorkflowAsync(nameof(ApprovalWorkflow), "dup-1", 60_000);

        var refused = await Assert.ThrowsAsync<WorkflowInstanceAlreadyExistsException>(
            () => _h.Client.ScheduleNewWorkflowAsync(nameof(ApprovalWorkflow), "dup-1", 60_000));
        await _h.Client.RaiseEventAsync("dup-1", "approval", "first");
        Assert.Equal("approved by first", (await _h.CompletionOf("dup-1")).ReadOutputAs<string>());
        await _h.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), "dup-1", "again");

        Assert.Equal("dup-1", refused.InstanceId);
        Assert.Equal("AGAIN!", (await _h.CompletionOf("dup-1")).ReadOutputAs<string>());
        Assert.Equal(["dup-1", "dup-1"], _h.Engine.StartedInstanceIds.Where(i => i == "dup-1"));
    }

    [Fact]
    public async Task An_unknown_instance_has_no_state()
    {
        Assert.Null(await _h.Client.GetWorkflowStateAsync("never-started"));
    }

    [Fact]
    public async Task Workflow_and_activity_spans_continue_the_trace_of_the_start_call()
    {
        using var source = new ActivitySource("ImageMeta.Workflow.Tests");
        var spans = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is WorkflowTelemetry.SourceName or "ImageMeta.Workflow.Tests",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        ActivityTraceId traceId;
        using (var upload = source.StartActivity("upload"))
        {
            traceId = upload!.TraceId;
            await _h.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), "trace-1", "t");
        }

        await _h.CompletionOf("trace-1");
        var started = _h.Engine.HistoryOf("trace-1").First(e => e.ExecutionStarted is not null).ExecutionStarted;
        await WorkflowHarness.WaitUntil(() => spans.Count(s => s.Source.Name == WorkflowTelemetry.SourceName && s.GetTagItem("workflow.instance_id") as string == "trace-1") >= 5, "five spans");

        Assert.Contains(traceId.ToHexString(), started.ParentTraceContext.TraceParent, StringComparison.Ordinal);
        var ours = spans.Where(s => s.GetTagItem("workflow.instance_id") as string == "trace-1").ToList();
        Assert.All(ours, s => Assert.Equal(traceId, s.TraceId));
        Assert.Equal(2, ours.Count(s => s.DisplayName.StartsWith("activity ", StringComparison.Ordinal)));
        Assert.Equal(3, ours.Count(s => s.DisplayName == "workflow ChainWorkflow"));
    }
}

/// <summary>Connection handling: a sidecar that is not there yet, a stream that breaks mid-run.</summary>
public sealed class WorkflowWorkerConnectionTests
{
    [Fact]
    public async Task A_worker_started_before_its_sidecar_connects_when_it_appears_and_logs_the_wait_once()
    {
        await using var h = await WorkflowHarness.StartAsync(startSidecar: false, startWorker: false);
        await h.StartWorkerAsync(waitForConnection: false);
        await Task.Delay(1500);

        await h.StartSidecarAsync();
        await h.Engine.WaitForWorkerAsync(WorkflowHarness.Patience, CancellationToken.None);
        await h.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), "late-1", "late");
        var state = await h.CompletionOf("late-1");

        Assert.Equal("LATE!", state.ReadOutputAs<string>());
        Assert.Single(h.WorkerLog, l => l.Contains("not reachable yet", StringComparison.Ordinal));
        Assert.Single(h.WorkerLog, l => l.Contains("connected to the Dapr sidecar", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_stream_dropped_mid_activity_loses_nothing_and_applies_the_step_once()
    {
        await using var h = await WorkflowHarness.StartAsync();
        await h.Client.ScheduleNewWorkflowAsync(nameof(PausingWorkflow), "drop-1", "x");
        await WorkflowHarness.WaitUntil(() => h.Engine.HistoryOf("drop-1").Any(e => e.TaskCompleted is not null), "the first activity");
        await h.Client.RaiseEventAsync("drop-1", "continue", "y");
        await WorkflowHarness.WaitUntil(() => h.Probe.Count("drop-1/gated") == 1, "the gated activity to start");

        h.Engine.DropStreams();
        await WorkflowHarness.WaitUntil(() => h.Probe.Count("drop-1/gated") == 2, "the gated activity to be sent again after reconnecting");
        h.Probe.Gate.SetResult();
        var state = await h.CompletionOf("drop-1");

        Assert.Equal("Xy passed", state.ReadOutputAs<string>());
        var history = h.Engine.HistoryOf("drop-1");
        Assert.Equal(2, history.Count(e => e.TaskCompleted is not null));
        Assert.Single(history, e => e.ExecutionCompleted is not null);
        Assert.True(h.Engine.RejectedAnswers >= 1, "the answer sent on the dropped stream must be refused");
        Assert.Contains(h.WorkerLog, l => l.Contains("lost the Dapr sidecar", StringComparison.Ordinal) || l.Contains("closed the work-item stream", StringComparison.Ordinal));
    }
}
