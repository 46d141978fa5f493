using System.Diagnostics;
using Grpc.Core;
using ImageMeta.Blobs;
using ImageMeta.Contracts;
using ImageMeta.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ImageMeta.Ingest.Service;

/// <summary>
/// What ingest did with one queue message: <paramref name="Poison"/> when the whole message was unreadable, else the
/// count of each outcome, <paramref name="PoisonEvents"/> being BlobCreated events that can never be processed (logged
/// and counted as poison, while the batch's other events are).
/// </summary>
public sealed record EventsHandled(int Started, int Known, int Ignored, int OtherContainer, int Vanished, string? Poison, int PoisonEvents = 0, int Removed = 0);

/// <summary>
/// The input bindings' routes: Dapr POSTs each event to <c>/{binding name}</c> and treats a 2xx answer as
/// "done" and anything else as "deliver again" (docs.dapr.io, "How-To: Trigger your application with input
/// bindings"). So transient failures answer 500, and messages that can never succeed answer 200 (poison).
/// </summary>
public static partial class BindingsApi
{
    public static IEndpointRouteBuilder MapBindingsApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/" + DaprTopology.Components.ImageEvents, ImageEventsAsync);
        endpoints.MapPost("/" + DaprTopology.Components.Sweep, SweepAsync);
        return endpoints;
    }

    private static async Task<Results<Ok<EventsHandled>, ProblemHttpResult>> ImageEventsAsync(
        HttpRequest request, IBlobBinding blobs, ImageWorkflowStarter starter, ImageDeletions deletions, ImageEventSlots slots, IngestMetrics metrics, ILogger<EventsHandled> logger, CancellationToken cancellationToken)
    {
        // Bounded concurrency: a burst of deliveries waits here (holding only its connection) rather than all at once.
        using var slot = await slots.EnterAsync(cancellationToken);
        var (message, tooLong) = await ReadMessageAsync(request.Body, BlobCreatedEvents.MaxMessageBytes, cancellationToken);
        var batch = tooLong is { } read ? new BlobEventBatch([], 0, BlobCreatedEvents.TooLong(read), []) : BlobCreatedEvents.Parse(message);
        if (batch.IsPoison)
        {
            metrics.PoisonMessages.Add(1);
            LogPoison(logger, batch.PoisonReason!, tooLong ?? message.Length);
            return TypedResults.Ok(new EventsHandled(0, 0, 0, 0, 0, batch.PoisonReason));
        }

        var poisonEvents = batch.PoisonEvents.Count;
        foreach (var reason in batch.PoisonEvents)
        {
            metrics.PoisonMessages.Add(1);
            LogPoisonEvent(logger, reason);
        }

        int started = 0, known = 0, other = 0, vanished = 0, removed = 0;
        try
        {
            foreach (var notice in batch.DeletedBlobs)
            {
                if (!string.Equals(notice.Container, blobs.Container, StringComparison.Ordinal))
                {
                    other++;
                    continue;
                }

                removed += await deletions.RemoveGoneVersionsAsync(notice.Container, notice.Name, cancellationToken);
            }

            foreach (var notice in batch.Created)
            {
                if (!string.Equals(notice.Container, blobs.Container, StringComparison.Ordinal))
                {
                    other++;
                    continue;
                }

                StartOutcome outcome;
                try
                {
                    outcome = await starter.StartCurrentAsync(notice.Name, ImageTrigger.Event, cancellationToken);
                }
                catch (BlobNotAFileException e)
                {
                    // A folder (or anything else that is not a file) fails the same way on every delivery: poison.
                    poisonEvents++;
                    metrics.PoisonMessages.Add(1);
                    LogPoisonEvent(logger, $"BlobCreated event '{notice.EventId}' names something that is not a blob: {e.Message}");
                    continue;
                }

                switch (outcome)
                {
                    case StartOutcome.Started:
                        started++;
                        break;
                    case StartOutcome.AlreadyKnown:
                        known++;
                        break;
                    default:
                        vanished++;
                        break;
                }
            }
        }
        catch (Exception e) when (e is BlobBindingUnavailableException or RpcException or TimeoutException or ImageMeta.Dapr.AppUnavailableException)
        {
            // Redelivery is safe: starts already made are recognised as known next time. The sidecar's or the storage's
            // text goes to the log, not into the answer.
            LogRedeliver(logger, e);
            return FailureProblems.Problem(StatusCodes.Status500InternalServerError, FailureClass.Unavailable, "Events not processed (storage or workflow engine unavailable); deliver again.");
        }

        return TypedResults.Ok(new EventsHandled(started, known, batch.Ignored, other, vanished, null, poisonEvents, removed));
    }

    private static async Task<Results<Ok<SweepReport>, Ok<string>, ProblemHttpResult>> SweepAsync(SweepRunner sweep, IngestMetrics metrics, ILogger<SweepRunner> logger, CancellationToken cancellationToken)
    {
        try
        {
            var started = Stopwatch.GetTimestamp();
            if (await sweep.RunAsync(cancellationToken) is not { } report)
            {
                return TypedResults.Ok("A sweep is already running.");
            }

            metrics.SweepDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            metrics.SweepListed.Record(report.Examined);
            return TypedResults.Ok(report);
        }
        catch (Exception e) when (e is BlobBindingUnavailableException or RpcException or TimeoutException or global::Dapr.DaprException)
        {
            // DaprException: the sweep state store did not answer; the next tick tries again from the recorded position.
            LogSweepStopped(logger, e);
            return FailureProblems.Problem(StatusCodes.Status500InternalServerError, FailureClass.Unavailable, "Sweep stopped (storage, state store or workflow engine unavailable); the next run continues from the recorded position.");
        }
    }

    /// <summary>
    /// Reads a queue message of at most <paramref name="limit"/> bytes. A longer one is not kept: the answer is the bytes
    /// read when the limit was passed, so it is reported as too long rather than as unreadable. A body that breaks off
    /// reads as what arrived.
    /// </summary>
    private static async Task<(byte[] Message, long? TooLong)> ReadMessageAsync(Stream source, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await source.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return ([], buffer.Length + read);
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (Exception e) when (e is IOException or BadHttpRequestException)
        {
            // The delivery broke off; what arrived is judged like any other message.
        }

        return (buffer.ToArray(), null);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue message not processed; the queue delivers it again")]
    private static partial void LogRedeliver(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweep stopped; the next run continues from the recorded position")]
    private static partial void LogSweepStopped(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Poison message on image-events acknowledged and dropped ({Reason}; {Bytes} bytes)")]
    private static partial void LogPoison(ILogger logger, string reason, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Poison event on image-events skipped, the rest of its message processed ({Reason})")]
    private static partial void LogPoisonEvent(ILogger logger, string reason);
}
