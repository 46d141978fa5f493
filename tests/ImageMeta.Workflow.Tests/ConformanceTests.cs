using System.Diagnostics;
using Dapr.Workflow;
using Grpc.Core;
using ImageMeta.Testing.Workflow;
using ImageMeta.Testing.Workflow.Protocol;
using WorkflowSamples;

namespace ImageMeta.Workflow.Tests;

/// <summary>
/// The official Dapr.Workflow 1.19 SDK (worker and client) against the sidecar double, over real gRPC. Each test
/// names the daprd behaviour it pins and where daprd or durabletask-go defines it.
/// </summary>
public sealed class ConformanceTests : IAsyncLifetime
{
    private WorkflowHarness _h = null!;

    public async Task InitializeAsync() => _h = await WorkflowHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private static string Id(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    // Work items: executionStarted in the first turn, taskScheduled per scheduleTask action, the activity's result
    // as taskCompleted naming the task (durabletask-go runtimestate/applier.go).
    [Fact]
    public async Task Chain_passes_each_activity_output_to_the_next_and_completes()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), Id("chain"), "héllo wörld");

        var state = await _h.CompletionOf(id);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("HÉLLO WÖRLD!", state.ReadOutputAs<string>());
        Assert.Equal("héllo wörld", state.ReadInputAs<string>());
        var history = _h.Engine.HistoryOf(id);
        Assert.Equal([nameof(UpperActivity), nameof(ExclaimActivity)], history.Where(e => e.TaskScheduled is not null).Select(e => e.TaskScheduled.Name));
        Assert.Equal(2, history.Count(e => e.TaskCompleted is not null));
        Assert.Equal(HistoryEvent.EventTypeOneofCase.ExecutionCompleted, history.Last(e => e.OrchestratorCompleted is null).EventTypeCase);
    }

    // The 1.19 worker answers orchestrator items with CompleteOrchestratorTask (Worker/Grpc/GrpcProtocolHandler.cs);
    // durabletask-go executor.go routes it to CompleteWorkflowTask. The double must accept it.
    [Fact]
    public async Task The_worker_answers_with_CompleteOrchestratorTask_and_CompleteActivityTask()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), Id("rpcs"), "x");
        await _h.CompletionOf(id);

        Assert.True(_h.Engine.Calls(nameof(WorkflowEngineDouble.CompleteOrchestratorTask)) >= 3);
        Assert.True(_h.Engine.Calls(nameof(WorkflowEngineDouble.CompleteActivityTask)) >= 2);
        Assert.True(_h.Engine.Calls(nameof(WorkflowEngineDouble.StartInstance)) >= 1);
        Assert.True(_h.Engine.Calls(nameof(WorkflowEngineDouble.WaitForInstanceCompletion)) >= 1);
    }

    // Activities scheduled in one turn are dispatched together and their completions fold back in any order.
    [Fact]
    public async Task Fan_out_fan_in_runs_every_activity_and_sums_their_results()
    {
        string[] words = ["alpha", "be", "gamma", "de", "epsilon", "z"];
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(FanOutWorkflow), Id("fan"), words);

        var state = await _h.CompletionOf(id);

        Assert.Equal(words.Sum(w => w.Length), state.ReadOutputAs<int>());
        var history = _h.Engine.HistoryOf(id);
        Assert.Equal(words.Length, history.Count(e => e.TaskScheduled is not null));
        // All six were scheduled in the first turn (one orchestratorCompleted before any completion).
        var firstCompletion = history.ToList().FindIndex(e => e.TaskCompleted is not null);
        Assert.Equal(words.Length, history.Take(firstCompletion).Count(e => e.TaskScheduled is not null));
    }

    // Retries are the worker's job on durable timers: taskFailed, timerCreated (fire time = turn clock + backoff),
    // timerFired, a new taskScheduled with a fresh taskExecutionId (Client/RetryInterceptor.cs).
    [Fact]
    public async Task A_failed_activity_is_retried_after_durable_timers_with_exponential_backoff()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(RetryingWorkflow), Id("retry"), new FlakyInput(2, 4));

        var state = await _h.CompletionOf(id);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal(3, state.ReadOutputAs<int>());
        var history = _h.Engine.HistoryOf(id);
        Assert.Equal(3, history.Count(e => e.TaskScheduled is not null));
        Assert.Equal(2, history.Count(e => e.TaskFailed is not null));
        Assert.Equal(3, history.Where(e => e.TaskScheduled is not null).Select(e => e.TaskScheduled.TaskExecutionId).Distinct().Count());
        var gaps = history.Select((e, index) => (e, index)).Where(x => x.e.TimerCreated is not null)
            .Select(x => x.e.TimerCreated.FireAt.ToDateTime() - history.Take(x.index).Last(s => s.OrchestratorStarted is not null).Timestamp.ToDateTime())
            .ToList();
        Assert.Equal([TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200)], gaps);
        Assert.Equal(2, history.Count(e => e.TimerFired is not null));
    }

    [Fact]
    public async Task When_retries_are_exhausted_the_workflow_fails_with_the_activity_error()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(RetryingWorkflow), Id("retry-out"), new FlakyInput(10, 3));

        var state = await _h.CompletionOf(id);

        Assert.Equal(WorkflowRuntimeStatus.Failed, state.RuntimeStatus);
        Assert.Contains("transient failure 3", state.FailureDetails?.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(3, _h.Probe.Count($"{id}/flaky"));
    }

    // RetryInterceptor: no retry once the turn clock has passed first attempt + retryTimeout.
    [Fact]
    public async Task The_retry_timeout_stops_retrying_before_the_attempt_limit()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(RetryingWorkflow), Id("retry-window"), new FlakyInput(100, 50, RetryTimeoutMs: 250));

        var state = await _h.CompletionOf(id);

        Assert.Equal(WorkflowRuntimeStatus.Failed, state.RuntimeStatus);
        var attempts = _h.Probe.Count($"{id}/flaky");
        Assert.InRange(attempts, 2, 4);
    }

    // The 1.19 RetryInterceptor retries every WorkflowTaskFailedException, so a permanent failure travels as a typed
    // outcome (a normal taskCompleted), is never retried, and the workflow decides what it means.
    [Fact]
    public async Task A_permanent_failure_returned_as_a_typed_outcome_is_not_retried()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(ClassifyingWorkflow), Id("classify"), "bad-bytes");

        var state = await _h.CompletionOf(id);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("failed:UnsupportedFormat", state.ReadOutputAs<string>());
        Assert.Equal(1, _h.Probe.Count($"{id}/classify"));
        var history = _h.Engine.HistoryOf(id);
        Assert.Single(history, e => e.TaskScheduled is not null);
        Assert.DoesNotContain(history, e => e.TaskFailed is not null || e.TimerCreated is not null);
    }

    // timerCreated → timerFired at its fire time; the clock (orchestratorStarted) moves past it.
    [Fact]
    public async Task A_durable_timer_delays_the_workflow_and_moves_its_clock()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(TimerWorkflow), Id("timer"), 300);

        var state = await _h.CompletionOf(id);

        var clocks = state.ReadOutputAs<DateTime[]>()!;
        Assert.True(clocks[1] - clocks[0] >= TimeSpan.FromMilliseconds(300));
        var history = _h.Engine.HistoryOf(id);
        var created = Assert.Single(history, e => e.TimerCreated is not null);
        var fired = Assert.Single(history, e => e.TimerFired is not null);
        Assert.Equal(created.EventId, fired.TimerFired.TimerId);
        Assert.Equal(created.TimerCreated.FireAt, fired.TimerFired.FireAt);
    }

    // RaiseEvent → eventRaised in the inbox (executor.go RaiseEvent).
    [Fact]
    public async Task An_external_event_is_delivered_to_the_waiting_workflow()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(ApprovalWorkflow), Id("approve"), 60_000);
        await _h.Client.WaitForWorkflowStartAsync(id);

        await _h.Client.RaiseEventAsync(id, "approval", "ada");

        var state = await _h.CompletionOf(id);
        Assert.Equal("approved by ada", state.ReadOutputAs<string>());
        Assert.Contains(_h.Engine.HistoryOf(id), e => e.EventRaised is { Name: "approval" });
    }

    // WaitForExternalEvent with a timeout is a durable timer; when it fires first the wait is cancelled.
    [Fact]
    public async Task Waiting_for_an_external_event_times_out_on_a_durable_timer()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(ApprovalWorkflow), Id("approve-late"), 200);

        var state = await _h.CompletionOf(id);

        Assert.Equal("timed out", state.ReadOutputAs<string>());
        var history = _h.Engine.HistoryOf(id);
        Assert.Single(history, e => e.TimerFired is not null);
        Assert.DoesNotContain(history, e => e.EventRaised is not null);
    }

    // A raise on an id with no instance is an error (actors.go AddNewWorkflowEvent → api.ErrInstanceNotFound).
    [Fact]
    public async Task Raising_an_event_on_an_unknown_instance_fails()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => _h.Client.RaiseEventAsync(Id("nobody"), "approval", "x"));

        Assert.Contains("no such instance exists", e.Status.Detail, StringComparison.Ordinal);
    }

    // createChildWorkflow → childWorkflowInstanceCreated in the parent, the child as its own instance (parent named
    // in its executionStarted), its result back as childWorkflowInstanceCompleted (dapr/dapr orchestrator/childwf.go).
    [Fact]
    public async Task A_child_workflow_runs_as_its_own_instance_and_returns_to_its_parent()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(ParentWorkflow), Id("parent"), "kid");

        var state = await _h.CompletionOf(id);

        Assert.Equal("parent(KID!)", state.ReadOutputAs<string>());
        var child = await _h.Client.GetWorkflowStateAsync($"{id}-child");
        Assert.Equal(WorkflowRuntimeStatus.Completed, child.RuntimeStatus);
        Assert.Equal(nameof(ChainWorkflow), child.WorkflowName);
        var parentHistory = _h.Engine.HistoryOf(id);
        var created = Assert.Single(parentHistory, e => e.ChildWorkflowCreated is not null);
        Assert.Equal($"{id}-child", created.ChildWorkflowCreated.InstanceId);
        var completed = Assert.Single(parentHistory, e => e.ChildWorkflowCompleted is not null);
        Assert.Equal(created.EventId, completed.ChildWorkflowCompleted.TaskScheduledId);
        Assert.Equal(id, _h.Engine.HistoryOf($"{id}-child").First(e => e.ExecutionStarted is not null).ExecutionStarted.ParentInstance.WorkflowInstance.InstanceId);
    }

    [Fact]
    public async Task A_failed_child_workflow_reaches_its_parent_as_childWorkflowInstanceFailed()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(FailingParentWorkflow), Id("parent-f"), "kid");

        var state = await _h.CompletionOf(id);

        Assert.Equal("child failed: refused kid", state.ReadOutputAs<string>());
        Assert.Single(_h.Engine.HistoryOf(id), e => e.ChildWorkflowFailed is not null);
        Assert.Equal(WorkflowRuntimeStatus.Failed, (await _h.Client.GetWorkflowStateAsync($"{id}-child")).RuntimeStatus);
    }

    // CONTINUED_AS_NEW: the same instance id restarts with a fresh history whose executionStarted carries the new input
    // (durabletask-go runtimestate/applier.go; dapr/dapr run.go bumps the generation).
    [Fact]
    public async Task Continue_as_new_restarts_the_same_instance_with_a_fresh_history()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(CountingWorkflow), Id("count"), 0);

        var state = await _h.CompletionOf(id);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal(3, state.ReadOutputAs<int>());
        var history = _h.Engine.HistoryOf(id);
        Assert.Equal("3", Assert.Single(history, e => e.ExecutionStarted is not null).ExecutionStarted.Input);
        Assert.Equal("\"round 3\"", Assert.Single(history, e => e.TaskScheduled is not null).TaskScheduled.Input);
        Assert.Single(_h.Engine.StartedInstanceIds, s => s == id);
    }

    // Suspend: executionSuspended, status SUSPENDED; events raised meanwhile wait and no step runs; resume:
    // executionResumed and the buffered event is processed (executor.go Suspend/ResumeInstance; runtimestate.go).
    [Fact]
    public async Task A_suspended_instance_buffers_events_and_runs_no_steps_until_resumed()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(GoWorkflow), Id("suspend"), "job");
        await _h.Client.WaitForWorkflowStartAsync(id);

        await _h.Client.SuspendWorkflowAsync(id, "maintenance");
        Assert.Equal(WorkflowRuntimeStatus.Suspended, (await _h.Client.GetWorkflowStateAsync(id)).RuntimeStatus);
        await _h.Client.RaiseEventAsync(id, "go", "now");
        Assert.Equal(WorkflowRuntimeStatus.Suspended, (await _h.Client.GetWorkflowStateAsync(id)).RuntimeStatus);

        await _h.Client.ResumeWorkflowAsync(id, "done");
        var state = await _h.CompletionOf(id);

        // No sleep-and-look: the finished history shows the order. The event raised while suspended was applied only
        // after the resume, and the step it unblocks was scheduled after that, once.
        Assert.Equal("JOB-NOW", state.ReadOutputAs<string>());
        var history = _h.Engine.HistoryOf(id).ToList();
        Assert.Equal("maintenance", Assert.Single(history, e => e.ExecutionSuspended is not null).ExecutionSuspended.Input);
        var resumed = history.FindIndex(e => e.ExecutionResumed is not null);
        Assert.True(resumed > history.FindIndex(e => e.ExecutionSuspended is not null));
        Assert.True(history.FindIndex(e => e.TaskScheduled is not null) > resumed, "a step was scheduled before the resume");
        Assert.Equal(1, _h.Probe.Count($"{id}/upper"));
    }

    // TerminateInstance: executionTerminated, the worker completes the run as TERMINATED; the call returns once it
    // has (executor.go TerminateInstance waits for completion).
    [Fact]
    public async Task Terminate_ends_a_running_instance_and_returns_once_it_is_terminated()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(ApprovalWorkflow), Id("term"), 60_000);
        await _h.Client.WaitForWorkflowStartAsync(id);

        await _h.Client.TerminateWorkflowAsync(id, "stopped by test");

        var state = await _h.Client.GetWorkflowStateAsync(id);
        Assert.Equal(WorkflowRuntimeStatus.Terminated, state.RuntimeStatus);
        Assert.Single(_h.Engine.HistoryOf(id), e => e.ExecutionTerminated is not null);
    }

    // Purge: only terminal instances (backend.go purgeWorkflowState → api.ErrNotCompleted); afterwards the id is gone.
    [Fact]
    public async Task Purge_refuses_a_running_instance_and_removes_a_finished_one()
    {
        var running = await _h.Client.ScheduleNewWorkflowAsync(nameof(ApprovalWorkflow), Id("purge-run"), 60_000);
        var done = await _h.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), Id("purge-done"), "x");
        await _h.CompletionOf(done);

        var refused = await Assert.ThrowsAsync<RpcException>(() => _h.Client.PurgeInstanceAsync(running));
        Assert.Contains("not yet completed", refused.Status.Detail, StringComparison.Ordinal);
        Assert.True(await _h.Client.PurgeInstanceAsync(done));

        Assert.False((await _h.Client.GetWorkflowStateAsync(done)).Exists);
        Assert.True((await _h.Client.GetWorkflowStateAsync(running)).Exists);
    }

    // Reuse rule (dapr/dapr orchestrator/create.go createIfCompleted): a non-terminal id answers ALREADY_EXISTS.
    [Fact]
    public async Task Starting_an_id_that_is_still_running_fails_with_AlreadyExists()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(ApprovalWorkflow), Id("reuse-run"), 60_000);

        var e = await Assert.ThrowsAsync<RpcException>(() => _h.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), id, "again"));

        Assert.Equal(StatusCode.AlreadyExists, e.StatusCode);
        Assert.Contains($"an active workflow with ID '{id}' already exists", e.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(nameof(ApprovalWorkflow), (await _h.Client.GetWorkflowStateAsync(id)).WorkflowName);
    }

    // Reuse rule: a terminal instance is replaced by a fresh run with a fresh history.
    [Fact]
    public async Task Starting_an_id_that_finished_replaces_it_with_a_fresh_run()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), Id("reuse-done"), "first");
        await _h.CompletionOf(id);

        await _h.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), id, "second");
        var state = await _h.CompletionOf(id);

        Assert.Equal("SECOND!", state.ReadOutputAs<string>());
        Assert.Equal(2, _h.Engine.StartedInstanceIds.Count(s => s == id));
        Assert.Equal("\"second\"", Assert.Single(_h.Engine.HistoryOf(id), e => e.ExecutionStarted is not null).ExecutionStarted.Input);
    }

    // scheduledStartTimestamp: PENDING and no work item until the time (create.go arms the start reminder then);
    // StartInstance does not wait for a scheduled start (executor.go).
    [Fact]
    public async Task A_scheduled_start_stays_pending_until_its_time()
    {
        var startAt = DateTimeOffset.UtcNow.AddMilliseconds(1500);
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), Id("later"), "x", startAt);

        var pending = await _h.Client.GetWorkflowStateAsync(id);
        Assert.Equal(WorkflowRuntimeStatus.Pending, pending.RuntimeStatus);
        Assert.Empty(_h.Engine.HistoryOf(id));

        var state = await _h.CompletionOf(id);
        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        var firstTurn = _h.Engine.HistoryOf(id).First(e => e.OrchestratorStarted is not null).Timestamp.ToDateTimeOffset();
        Assert.True(firstTurn >= startAt, $"first turn at {firstTurn:O}, scheduled for {startAt:O}");
    }

    // Terminate does not wait for a scheduled start: the terminate event runs the pending instance's inbox at once
    // and it ends TERMINATED without running workflow code.
    [Fact]
    public async Task Terminating_a_scheduled_instance_ends_it_before_its_start_time()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), Id("later-term"), "x", DateTimeOffset.UtcNow.AddHours(1));

        using var bound = new CancellationTokenSource(WorkflowHarness.Patience);
        await _h.Client.TerminateWorkflowAsync(id, cancellation: bound.Token);

        Assert.Equal(WorkflowRuntimeStatus.Terminated, (await _h.Client.GetWorkflowStateAsync(id)).RuntimeStatus);
        Assert.Empty(WorkflowPasses.Of(id));
        Assert.DoesNotContain(_h.Engine.HistoryOf(id), e => e.TaskScheduled is not null);
    }

    // History lives in the sidecar: a new worker process picks the instance up; finished steps are replayed from
    // history, not redone.
    [Fact]
    public async Task A_worker_stopped_mid_instance_resumes_it_after_restart_without_redoing_finished_steps()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(GatedWorkflow), Id("restart"), "x");
        await _h.Probe.GateReached.Task.WaitAsync(WorkflowHarness.Patience);

        await _h.StopWorkerAsync();
        _h.Probe.Gate.TrySetResult();
        await _h.StartWorkerAsync();

        var state = await _h.CompletionOf(id);
        Assert.Equal("X+gated", state.ReadOutputAs<string>());
        Assert.Equal(1, _h.Probe.Count($"{id}/upper"));
        Assert.Single(_h.Engine.HistoryOf(id), e => e.TaskCompleted is not null && e.TaskCompleted.TaskScheduledId == 1);
    }

    // A dropped GetWorkItems stream: items sent on it are handed out again (executor.go disconnect cleanup), and an
    // answer carrying the old completion token is refused, so the step lands once.
    [Fact]
    public async Task A_dropped_stream_loses_nothing_and_refuses_the_stale_answer()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(GatedWorkflow), Id("drop"), "x");
        await _h.Probe.GateReached.Task.WaitAsync(WorkflowHarness.Patience);

        _h.Engine.DropStreams();
        await WorkflowHarness.WaitUntil(() => _h.Engine.ConnectedWorkers == 0, "the stream to end");
        _h.Probe.Gate.TrySetResult();

        var state = await _h.CompletionOf(id);
        Assert.Equal("X+gated", state.ReadOutputAs<string>());
        Assert.True(_h.Engine.RejectedAnswers >= 1);
        Assert.Equal(2, _h.Probe.Count($"{id}/gated"));
        var history = _h.Engine.HistoryOf(id);
        Assert.Equal(2, history.Count(e => e.TaskCompleted is not null));
    }

    // Each turn sends the full history as pastEvents; the SDK replays it (IsReplaying) and only new actions are sent,
    // so every activity runs once.
    [Fact]
    public async Task Each_turn_replays_history_and_every_activity_runs_once()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), Id("replay"), "x");
        await _h.CompletionOf(id);

        var passes = WorkflowPasses.Of(id);
        var starts = passes.Where(p => p.Point == "start").ToList();
        Assert.Equal(3, starts.Count);
        Assert.False(starts[0].Replaying);
        Assert.All(starts.Skip(1), p => Assert.True(p.Replaying));
        Assert.Equal(1, _h.Probe.Count($"{id}/upper"));
        Assert.Equal(1, _h.Probe.Count($"{id}/exclaim"));
        Assert.Equal(2, _h.Engine.HistoryOf(id).Count(e => e.TaskScheduled is not null));
    }

    // daprd's default --max-body-size is 4 MiB; a work item up to 95% of it is sent (orchestrator/payloadsize.go).
    [Fact]
    public async Task A_payload_near_the_4_MiB_limit_round_trips()
    {
        var big = new string('x', 3_600_000);
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(LengthWorkflow), Id("big"), big);

        var state = await _h.CompletionOf(id);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal(big.Length, state.ReadOutputAs<int>());
        Assert.Equal(big, state.ReadInputAs<string>());
    }

    // A start request above the gRPC limit is refused by the server (daprd applies --max-body-size to gRPC messages:
    // RESOURCE_EXHAUSTED) and creates nothing.
    [Fact]
    public async Task A_start_request_above_4_MiB_is_refused_with_ResourceExhausted()
    {
        var id = Id("too-big");

        var e = await Assert.ThrowsAsync<RpcException>(() => _h.Client.ScheduleNewWorkflowAsync(nameof(LengthWorkflow), id, new string('x', 4_500_000)));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.False((await _h.Client.GetWorkflowStateAsync(id)).Exists);
    }

    // A history that outgrows 95% of the limit is not sent: the run stalls with PAYLOAD_SIZE_EXCEEDED and says why
    // (dapr/dapr orchestrator/payloadsize.go workflowPayloadOversize, run.go stallWorkflow).
    [Fact]
    public async Task A_history_above_the_limit_stalls_the_workflow_with_a_clear_reason()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(EchoWorkflow), Id("stall"), new string('y', 1_800_000));

        await WorkflowHarness.WaitUntil(() => _h.Engine.HistoryOf(id).Any(e => e.ExecutionStalled is not null), "the workflow to stall");

        var state = await _h.Client.GetWorkflowStateAsync(id, getInputsAndOutputs: false);
        Assert.Equal(WorkflowRuntimeStatus.Stalled, state.RuntimeStatus);
        var stalled = _h.Engine.HistoryOf(id).Single(e => e.ExecutionStalled is not null).ExecutionStalled;
        Assert.Equal(StalledReason.PayloadSizeExceeded, stalled.Reason);
        Assert.Contains("max gRPC body size 4194304 bytes", stalled.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hundred_instances_at_once_all_complete_with_their_own_results()
    {
        var ids = Enumerable.Range(0, 100).Select(i => Id($"many{i}")).ToList();

        await Task.WhenAll(ids.Select((id, i) => _h.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), id, $"n{i}")));
        var states = await Task.WhenAll(ids.Select(id => _h.CompletionOf(id)));

        Assert.All(states, s => Assert.Equal(WorkflowRuntimeStatus.Completed, s.RuntimeStatus));
        Assert.Equal(ids.Select((_, i) => $"N{i}!"), states.Select(s => s.ReadOutputAs<string>()));
    }

    // GetInstance (executor.go createGetInstanceResponse): input, output and custom status only when asked for.
    [Fact]
    public async Task Workflow_state_carries_payloads_only_when_asked()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), Id("payloads"), "abc");
        await _h.CompletionOf(id);

        var full = await _h.Client.GetWorkflowStateAsync(id, getInputsAndOutputs: true);
        var bare = await _h.Client.GetWorkflowStateAsync(id, getInputsAndOutputs: false);

        Assert.Equal("ABC!", full.ReadOutputAs<string>());
        Assert.Equal("abc", full.ReadInputAs<string>());
        Assert.Equal(WorkflowRuntimeStatus.Completed, bare.RuntimeStatus);
        Assert.Equal(nameof(ChainWorkflow), bare.WorkflowName);
        Assert.Null(bare.ReadOutputAs<string>());
        Assert.Null(bare.ReadInputAs<string>());
    }

    // GetInstance of an unknown id answers exists=false, not an error (executor.go GetInstance); the SDK reports a
    // state that does not exist.
    [Fact]
    public async Task An_unknown_instance_has_no_state()
    {
        var state = await _h.Client.GetWorkflowStateAsync(Id("missing"));

        Assert.False(state.Exists);
        Assert.Equal(WorkflowRuntimeStatus.Unknown, state.RuntimeStatus);
    }

    // WaitForInstanceStart long-polls (orchestrator/stream.go waits, also for an id not created yet); the caller's
    // cancellation ends it.
    [Fact]
    public async Task Waiting_for_an_instance_that_never_starts_ends_with_the_callers_cancellation()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _h.Client.WaitForWorkflowStartAsync(Id("never"), cancellation: cancel.Token));
    }

    // Both APIs act on the same instances: a start through the Dapr HTTP workflow API is visible to the SDK client.
    [Fact]
    public async Task An_instance_started_with_the_Dapr_HTTP_API_is_seen_by_the_SDK_client()
    {
        var id = Id("curl");
        using var http = new HttpClient();
        using var body = new StringContent("\"from curl\"");
        using var response = await http.PostAsync(new Uri($"{_h.Sidecar.HttpEndpoint}/v1.0/workflows/dapr/{nameof(ChainWorkflow)}/start?instanceID={id}"), body);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);

        var state = await _h.CompletionOf(id);

        Assert.Equal("FROM CURL!", state.ReadOutputAs<string>());
        using var get = await http.GetAsync(new Uri($"{_h.Sidecar.HttpEndpoint}/v1.0/workflows/dapr/{id}"));
        Assert.Contains("\"runtimeStatus\":\"COMPLETED\"", (await get.Content.ReadAsStringAsync()).Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    // GetInstanceHistory / ListInstanceIDs, which the 1.19 client exposes (actors.go).
    [Fact]
    public async Task The_client_lists_instances_and_reads_their_history()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), Id("listed"), "x");
        await _h.CompletionOf(id);

        var page = await _h.Client.ListInstanceIdsAsync();
        var history = await _h.Client.GetInstanceHistoryAsync(id);

        Assert.Contains(id, page.InstanceIds);
        Assert.Equal(_h.Engine.HistoryOf(id).Count, history.Count);
    }

    // Trace continuity: the SDK client sends the caller's context as the start's parentTraceContext; the double keeps
    // it in executionStarted and gives each activity work item a parent in the same trace (durabletask-go
    // helpers/tracing.go), so the SDK's "Dapr.Workflow" activity spans continue the caller's trace.
    [Fact]
    public async Task Activity_spans_of_the_SDK_continue_the_trace_of_the_start_call()
    {
        using var source = new ActivitySource("ImageMeta.Workflow.Tests");
        var spans = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "Dapr.Workflow" or "ImageMeta.Workflow.Tests",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        ActivityTraceId traceId;
        ActivitySpanId uploadSpan;
        string id;
        using (var upload = source.StartActivity("upload"))
        {
            traceId = upload!.TraceId;
            uploadSpan = upload.SpanId;
            id = await _h.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), Id("trace"), "t");
        }

        await _h.CompletionOf(id);
        await WorkflowHarness.WaitUntil(() => spans.Count(s => s.Source.Name == "Dapr.Workflow" && s.TraceId == traceId) >= 2, "two activity spans");

        var started = _h.Engine.HistoryOf(id).First(e => e.ExecutionStarted is not null).ExecutionStarted;
        Assert.Contains(traceId.ToHexString(), started.ParentTraceContext.TraceParent, StringComparison.Ordinal);
        var activitySpans = spans.Where(s => s.Source.Name == "Dapr.Workflow" && s.TraceId == traceId).ToList();
        Assert.Equal(["WorkflowActivity ExclaimActivity", "WorkflowActivity UpperActivity"], activitySpans.Select(s => s.DisplayName).Order(StringComparer.Ordinal));
        Assert.All(activitySpans, s => Assert.NotEqual(uploadSpan, s.ParentSpanId));
    }

    // The 1.19 client terminates and purges recursively: executionTerminated reaches the children too
    // (orchestrator/terminate.go terminateChildren), and a purge removes the whole tree (backend.go purgeWorkflowState).
    // While the child runs, its id cannot be reused, and neither can the parent's (create.go childrenTerminalCheck).
    [Fact]
    public async Task Terminate_and_purge_reach_child_workflows()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(WaitingParentWorkflow), Id("tree"), "x");
        var child = $"{id}-child";
        await _h.Client.WaitForWorkflowStartAsync(child);
        var reuse = await Assert.ThrowsAsync<RpcException>(() => _h.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), child, "x"));
        Assert.Equal(StatusCode.AlreadyExists, reuse.StatusCode);

        await _h.Client.TerminateWorkflowAsync(id);
        var childState = await _h.CompletionOf(child);

        Assert.Equal(WorkflowRuntimeStatus.Terminated, (await _h.Client.GetWorkflowStateAsync(id)).RuntimeStatus);
        Assert.Equal(WorkflowRuntimeStatus.Terminated, childState.RuntimeStatus);
        Assert.True(await _h.Client.PurgeInstanceAsync(id));
        Assert.False((await _h.Client.GetWorkflowStateAsync(child)).Exists);
    }

    // The Dapr API's gRPC workflow calls (what the Dapr CLI and other SDKs use) act on the instances the SDK sees:
    // RaiseEventWorkflowBeta1 reaches a workflow started with the SDK client.
    [Fact]
    public async Task An_event_raised_through_the_Dapr_gRPC_API_reaches_an_SDK_started_instance()
    {
        var id = await _h.Client.ScheduleNewWorkflowAsync(nameof(ApprovalWorkflow), Id("beta1"), 60_000);
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(_h.Sidecar.GrpcEndpoint);
        var dapr = new Dapr.Client.Autogen.Grpc.v1.Dapr.DaprClient(channel);

        await dapr.RaiseEventWorkflowBeta1Async(new Dapr.Client.Autogen.Grpc.v1.RaiseEventWorkflowRequest
        {
            InstanceId = id,
            WorkflowComponent = "dapr",
            EventName = "approval",
            EventData = Google.Protobuf.ByteString.CopyFromUtf8("\"grace\""),
        });

        Assert.Equal("approved by grace", (await _h.CompletionOf(id)).ReadOutputAs<string>());
    }
}
