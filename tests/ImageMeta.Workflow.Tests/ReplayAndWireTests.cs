using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using ImageMeta.Workflow.Engine;
using ImageMeta.Workflow.Protocol;
using WorkflowSamples;

namespace ImageMeta.Workflow.Tests;

/// <summary>The replay engine fed hand-written histories: which actions it answers with after each step.</summary>
public sealed class WorkflowReplayTests
{
    private static readonly DateTime T0 = new(2026, 11, 25, 10, 0, 0, DateTimeKind.Utc);
    private readonly SampleProbe _probe = new();

    [Fact]
    public void First_execution_schedules_the_first_activity_as_action_zero()
    {
        var response = Replay([], [Started(T0), Execution("\"abc\"")]);

        var action = Assert.Single(response.Actions);
        Assert.Equal(0, action.Id);
        Assert.Equal(nameof(UpperActivity), action.ScheduleTask.Name);
        Assert.Equal("\"abc\"", action.ScheduleTask.Input);
        Assert.Equal("token-1", response.CompletionToken);
    }

    [Fact]
    public void After_the_first_result_only_the_second_activity_is_sent_with_the_first_output()
    {
        var response = Replay(
            [Started(T0), Execution("\"abc\""), Scheduled(0, nameof(UpperActivity)), Completed()],
            [Started(T0.AddSeconds(1)), TaskDone(0, "\"ABC\"")]);

        var action = Assert.Single(response.Actions);
        Assert.Equal(1, action.Id);
        Assert.Equal(nameof(ExclaimActivity), action.ScheduleTask.Name);
        Assert.Equal("\"ABC\"", action.ScheduleTask.Input);
    }

    [Fact]
    public void After_the_last_result_the_workflow_completes_with_its_output()
    {
        var response = Replay(
            [Started(T0), Execution("\"abc\""), Scheduled(0, nameof(UpperActivity)), Completed(),
             Started(T0.AddSeconds(1)), TaskDone(0, "\"ABC\""), Scheduled(1, nameof(ExclaimActivity)), Completed()],
            [Started(T0.AddSeconds(2)), TaskDone(1, "\"ABC!\"")]);

        var action = Assert.Single(response.Actions);
        Assert.Equal(OrchestrationStatus.Completed, action.CompleteWorkflow.Status);
        Assert.Equal("\"ABC!\"", action.CompleteWorkflow.Result);
    }

    [Fact]
    public void A_history_that_names_another_activity_fails_the_workflow_as_non_deterministic()
    {
        var response = Replay(
            [Started(T0), Execution("\"abc\""), Scheduled(0, "SomethingElse"), Completed()],
            [Started(T0.AddSeconds(1)), TaskDone(0, "\"x\"")]);

        var action = Assert.Single(response.Actions);
        Assert.Equal(OrchestrationStatus.Failed, action.CompleteWorkflow.Status);
        Assert.Equal(typeof(NonDeterministicWorkflowException).FullName, action.CompleteWorkflow.FailureDetails.ErrorType);
        Assert.Contains("'SomethingElse'", action.CompleteWorkflow.FailureDetails.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_timer_where_history_has_an_activity_is_non_deterministic()
    {
        var response = Replay(
            [Started(T0), Execution("\"abc\""), new HistoryEvent { EventId = 0, TimerCreated = new TimerCreatedEvent { FireAt = Timestamp.FromDateTime(T0) } }, Completed()],
            [Started(T0.AddSeconds(1))]);

        Assert.Equal(OrchestrationStatus.Failed, Assert.Single(response.Actions).CompleteWorkflow.Status);
    }

    [Fact]
    public void An_unregistered_workflow_fails_with_a_clear_message()
    {
        var request = new WorkflowRequest { InstanceId = "i" };
        request.NewEvents.Add(Started(T0));
        request.NewEvents.Add(new HistoryEvent { EventId = -1, ExecutionStarted = new ExecutionStartedEvent { Name = "Nope" } });

        var response = new WorkflowReplay(request, _ => null, new JsonSerializerOptions(JsonSerializerDefaults.Web)).Execute("t");

        Assert.Contains("No workflow named 'Nope'", Assert.Single(response.Actions).CompleteWorkflow.FailureDetails.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_retry_timer_fires_at_the_replay_clock_plus_the_interval()
    {
        var failure = new HistoryEvent { EventId = -1, TaskFailed = new TaskFailedEvent { TaskScheduledId = 0, FailureDetails = new TaskFailureDetails { ErrorType = "X", ErrorMessage = "boom" } } };
        var response = Replay(
            [Started(T0), Execution("{\"failuresBeforeSuccess\":1,\"maxAttempts\":3}", nameof(RetryingWorkflow)), Scheduled(0, nameof(FlakyActivity)), Completed()],
            [Started(T0.AddSeconds(5)), failure]);

        var timer = Assert.Single(response.Actions);
        Assert.Equal(1, timer.Id);
        Assert.Equal(T0.AddSeconds(5).AddMilliseconds(100), timer.CreateTimer.FireAt.ToDateTime());
    }

    private WorkflowResponse Replay(HistoryEvent[] past, HistoryEvent[] fresh)
    {
        var request = new WorkflowRequest { InstanceId = "instance-1" };
        request.PastEvents.AddRange(past);
        request.NewEvents.AddRange(fresh);
        return new WorkflowReplay(request, Resolve, new JsonSerializerOptions(JsonSerializerDefaults.Web)).Execute("token-1");
    }

    private IWorkflow? Resolve(string name) => name switch
    {
        nameof(ChainWorkflow) => new ChainWorkflow(_probe),
        nameof(RetryingWorkflow) => new RetryingWorkflow(),
        _ => null,
    };

    private static HistoryEvent Started(DateTime at) => new() { EventId = -1, Timestamp = Timestamp.FromDateTime(at), OrchestratorStarted = new OrchestratorStartedEvent() };

    private static HistoryEvent Completed() => new() { EventId = -1, OrchestratorCompleted = new OrchestratorCompletedEvent() };

    private static HistoryEvent Execution(string input, string name = nameof(ChainWorkflow)) =>
        new() { EventId = -1, ExecutionStarted = new ExecutionStartedEvent { Name = name, Input = input } };

    private static HistoryEvent Scheduled(int id, string name) => new() { EventId = id, TaskScheduled = new TaskScheduledEvent { Name = name } };

    private static HistoryEvent TaskDone(int id, string result) => new() { EventId = -1, TaskCompleted = new TaskCompletedEvent { TaskScheduledId = id, Result = result } };
}

/// <summary>
/// Our messages against the field numbers and wire types of the protocol facts (shared/durabletask-protocol.md),
/// read and written with the raw protobuf codec rather than with our own generated types.
/// </summary>
public sealed class WireFormatTests
{
    [Fact]
    public void An_activity_answer_uses_the_protocol_field_numbers()
    {
        var bytes = new ActivityResponse { InstanceId = "inst", TaskId = 7, Result = "\"r\"", CompletionToken = "tok", FailureDetails = new TaskFailureDetails { ErrorType = "E", IsNonRetriable = true } }.ToByteArray();

        var fields = ReadFields(bytes);

        Assert.Equal("inst", fields[(1, WireFormat.WireType.LengthDelimited)].ToStringUtf8());
        Assert.Equal(7L, fields[(2, WireFormat.WireType.Varint)].Varint);
        Assert.Equal("\"r\"", ReadFields(fields[(3, WireFormat.WireType.LengthDelimited)].Bytes)[(1, WireFormat.WireType.LengthDelimited)].ToStringUtf8());
        var failure = ReadFields(fields[(4, WireFormat.WireType.LengthDelimited)].Bytes);
        Assert.Equal("E", failure[(1, WireFormat.WireType.LengthDelimited)].ToStringUtf8());
        Assert.Equal(1L, failure[(5, WireFormat.WireType.Varint)].Varint);
        Assert.Equal("tok", fields[(5, WireFormat.WireType.LengthDelimited)].ToStringUtf8());
    }

    [Fact]
    public void A_workflow_answer_uses_the_protocol_field_numbers_for_actions()
    {
        var response = new WorkflowResponse { InstanceId = "inst", CompletionToken = "tok" };
        response.Actions.Add(new WorkflowAction { Id = 3, ScheduleTask = new ScheduleTaskAction { Name = "A", TaskExecutionId = "x" } });
        response.Actions.Add(new WorkflowAction { Id = 4, CompleteWorkflow = new CompleteWorkflowAction { Status = OrchestrationStatus.Failed } });

        var actions = ReadRepeated(response.ToByteArray(), 2);
        var fields = ReadFields(response.ToByteArray());

        Assert.Equal("tok", fields[(4, WireFormat.WireType.LengthDelimited)].ToStringUtf8());
        var schedule = ReadFields(actions[0]);
        Assert.Equal(3L, schedule[(1, WireFormat.WireType.Varint)].Varint);
        var task = ReadFields(schedule[(2, WireFormat.WireType.LengthDelimited)].Bytes);
        Assert.Equal("A", task[(1, WireFormat.WireType.LengthDelimited)].ToStringUtf8());
        Assert.Equal("x", task[(5, WireFormat.WireType.LengthDelimited)].ToStringUtf8());
        var complete = ReadFields(ReadFields(actions[1])[(6, WireFormat.WireType.LengthDelimited)].Bytes);
        Assert.Equal(3L, complete[(1, WireFormat.WireType.Varint)].Varint);
    }

    [Fact]
    public void A_work_item_written_by_hand_from_the_protocol_facts_is_read_correctly_and_keeps_unknown_fields()
    {
        // WorkItem { orchestratorRequest(1) { instanceId(1), newEvents(4) { eventId(1), executionStarted(3) { name(1), input(3) { value(1) } } }, 99: "future" }, completionToken(10) }
        var started = Message(w => { w.WriteTag(1, WireFormat.WireType.LengthDelimited); w.WriteString("Wf"); WriteNested(w, 3, Message(v => { v.WriteTag(1, WireFormat.WireType.LengthDelimited); v.WriteString("{\"a\":1}"); })); });
        var historyEvent = Message(w => { w.WriteTag(1, WireFormat.WireType.Varint); w.WriteInt32(-1); WriteNested(w, 3, started); });
        var request = Message(w =>
        {
            w.WriteTag(1, WireFormat.WireType.LengthDelimited);
            w.WriteString("inst");
            WriteNested(w, 4, historyEvent);
            w.WriteTag(99, WireFormat.WireType.LengthDelimited);
            w.WriteString("future");
        });
        var item = Message(w => { WriteNested(w, 1, request); w.WriteTag(10, WireFormat.WireType.LengthDelimited); w.WriteString("tok"); });

        var parsed = WorkItem.Parser.ParseFrom(item);

        Assert.Equal("tok", parsed.CompletionToken);
        Assert.Equal("inst", parsed.WorkflowRequest.InstanceId);
        Assert.Equal("Wf", parsed.WorkflowRequest.NewEvents[0].ExecutionStarted.Name);
        Assert.Equal("{\"a\":1}", parsed.WorkflowRequest.NewEvents[0].ExecutionStarted.Input);
        Assert.Contains("future", parsed.WorkflowRequest.ToByteString().ToStringUtf8(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_service_has_no_package_so_its_methods_live_under_TaskHubSidecarService()
    {
        Assert.Equal("TaskHubSidecarService", TaskHubSidecarService.Descriptor.FullName);
        Assert.Equal(
            ["Hello", "GetWorkItems", "CompleteActivityTask", "CompleteOrchestratorTask"],
            TaskHubSidecarService.Descriptor.Methods.Select(m => m.Name));
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        write(output);
        output.Flush();
        return buffer.ToArray();
    }

    private static void WriteNested(CodedOutputStream output, int field, byte[] message)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(message));
    }

    private static Dictionary<(int, WireFormat.WireType), Field> ReadFields(byte[] bytes)
    {
        var fields = new Dictionary<(int, WireFormat.WireType), Field>();
        var input = new CodedInputStream(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var key = (WireFormat.GetTagFieldNumber(tag), WireFormat.GetTagWireType(tag));
            fields[key] = key.Item2 switch
            {
                WireFormat.WireType.Varint => new Field(input.ReadInt64(), []),
                WireFormat.WireType.LengthDelimited => new Field(0, input.ReadBytes().ToByteArray()),
                _ => throw new InvalidDataException($"unexpected wire type {key.Item2} for field {key.Item1}"),
            };
        }

        return fields;
    }

    private static List<byte[]> ReadRepeated(byte[] bytes, int field)
    {
        var items = new List<byte[]>();
        var input = new CodedInputStream(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == field)
            {
                items.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return items;
    }

    private sealed record Field(long Varint, byte[] Bytes)
    {
        public string ToStringUtf8() => System.Text.Encoding.UTF8.GetString(Bytes);
    }
}
