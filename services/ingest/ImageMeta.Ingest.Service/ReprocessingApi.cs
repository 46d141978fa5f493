using System.Text.Json;
using Dapr;
using Grpc.Core;
using ImageMeta.Contracts;
using ImageMeta.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ImageMeta.Ingest.Service;

/// <summary>
/// Reprocessing jobs: <c>POST /reprocessing</c> starts one, <c>GET /reprocessing</c> lists the newest, <c>GET
/// /reprocessing/{id}</c> answers one's progress, and <c>POST /reprocessing/{id}/pause|resume|cancel</c> suspend, resume
/// and terminate its workflow. A request is checked whole before anything starts: a bad one gets 400 with a sentence
/// and changes nothing. A filter that matches nothing still starts a job, which completes with matched 0: the answer
/// is the same whether the store holds matches or not, and the job's record says what it found.
/// </summary>
public static partial class ReprocessingApi
{
    /// <summary>Largest request body read: a filter is a few short values.</summary>
    private const int MaxBodyBytes = 16 * 1024;

    /// <summary>Longest failure class or format a filter may name (the store's own limits).</summary>
    private const int MaxFailureClass = 32, MaxFormat = 16;

    private const string InvalidId = "invalid-id";

    public static RouteGroupBuilder MapReprocessingApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/" + DaprTopology.Methods.Reprocessing);
        group.MapPost("/", StartAsync);
        group.MapGet("/", ListAsync);
        group.MapGet("/{id}", GetAsync);
        group.MapPost("/{id}/pause", (string id, ReprocessingJobControl jobs, CancellationToken ct) => ChangeAsync(id, "paused", jobs, jobs.PauseAsync, ct));
        group.MapPost("/{id}/resume", (string id, ReprocessingJobControl jobs, CancellationToken ct) => ChangeAsync(id, "resumed", jobs, jobs.ResumeAsync, ct));
        group.MapPost("/{id}/cancel", (string id, ReprocessingJobControl jobs, CancellationToken ct) => ChangeAsync(id, "canceled", jobs, jobs.CancelAsync, ct));
        return group;
    }

    private static async Task<Results<Accepted<ReprocessingJob>, ProblemHttpResult>> StartAsync(
        HttpRequest request, ReprocessingJobControl jobs, ILogger<ReprocessingJob> logger, CancellationToken cancellationToken)
    {
        var (body, problem) = await ReadRequestAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (Problem(body!) is { } refusal)
        {
            return Invalid(refusal);
        }

        try
        {
            var job = await jobs.StartAsync(body!, cancellationToken);
            return TypedResults.Accepted($"/{DaprTopology.Methods.Reprocessing}/{job.Id}", job);
        }
        catch (Exception e) when (IsUnavailable(e, cancellationToken))
        {
            LogUnavailable(logger, "start a reprocessing job", e.Message);
            return Unavailable("The workflow engine or the state store could not be used; no job was started. Send the request again shortly.");
        }
    }

    private static async Task<Results<Ok<ReprocessingJobs>, ProblemHttpResult>> ListAsync(
        ReprocessingJobControl jobs, ILogger<ReprocessingJob> logger, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(new ReprocessingJobs(await jobs.ListAsync(cancellationToken)));
        }
        catch (Exception e) when (IsUnavailable(e, cancellationToken))
        {
            LogUnavailable(logger, "list reprocessing jobs", e.Message);
            return Unavailable("The workflow engine or the state store could not be asked for the jobs; ask again shortly.");
        }
    }

    private static async Task<Results<Ok<ReprocessingJob>, ProblemHttpResult>> GetAsync(
        string id, ReprocessingJobControl jobs, ILogger<ReprocessingJob> logger, CancellationToken cancellationToken)
    {
        if (!ReprocessingJobControl.IsJobId(id))
        {
            return NotAJobId(id);
        }

        try
        {
            return await jobs.FindAsync(id, cancellationToken) is { } job ? TypedResults.Ok(job) : Unknown(id);
        }
        catch (Exception e) when (IsUnavailable(e, cancellationToken))
        {
            LogUnavailable(logger, "read a reprocessing job", e.Message);
            return Unavailable("The workflow engine could not be asked for the job; ask again shortly.");
        }
    }

    private static async Task<Results<Accepted<ReprocessingJob>, ProblemHttpResult>> ChangeAsync(
        string id, string done, ReprocessingJobControl jobs, Func<string, CancellationToken, Task<JobChange>> change, CancellationToken cancellationToken)
    {
        if (!ReprocessingJobControl.IsJobId(id))
        {
            return NotAJobId(id);
        }

        try
        {
            var outcome = await change(id, cancellationToken);
            if (outcome == JobChange.Unknown)
            {
                return Unknown(id);
            }

            var job = await jobs.FindAsync(id, cancellationToken);
            if (outcome == JobChange.Finished)
            {
                return FailureProblems.Problem(StatusCodes.Status409Conflict, "finished",
                    $"Job '{id}' has finished ({Word(job?.State)}); it cannot be {done}. Start a new job to run its filter again.");
            }

            return job is null ? Unknown(id) : TypedResults.Accepted($"/{DaprTopology.Methods.Reprocessing}/{id}", job);
        }
        catch (Exception e) when (IsUnavailable(e, cancellationToken))
        {
            return Unavailable($"The workflow engine could not be asked; the job was not {done}. Send the request again shortly.");
        }
    }

    /// <summary>The request body, or a 400: absent or empty means every default (all current records, 4 at once).</summary>
    private static async Task<(ReprocessingRequest? Body, ProblemHttpResult? Problem)> ReadRequestAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, Invalid($"The request body is larger than {MaxBodyBytes} bytes; a reprocessing request is a filter and a number."));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return (null, Invalid($"The request body is larger than {MaxBodyBytes} bytes; a reprocessing request is a filter and a number."));
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            return (new ReprocessingRequest(), null);
        }

        try
        {
            return (JsonSerializer.Deserialize<ReprocessingRequest>(buffer.ToArray(), ContractJson.Options) ?? new ReprocessingRequest(), null);
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 1 } path ? $" at {path}" : string.Empty;
            return (null, Invalid($"The request body is not a reprocessing request{where}: JSON with an optional filter (status, failureClass, format, extractorVersionBelow, processedBefore) and concurrency."));
        }
    }

    /// <summary>What is wrong with a request, in a sentence, or null when nothing is.</summary>
    internal static string? Problem(ReprocessingRequest request)
    {
        if (request.Concurrency is < 1 or > ReprocessingRequest.MaxConcurrency)
        {
            return $"concurrency is {request.Concurrency}; it must be 1 to {ReprocessingRequest.MaxConcurrency} images at once (default {ReprocessingRequest.DefaultConcurrency}).";
        }

        if (request.Filter is not { } filter)
        {
            return null;
        }

        if (filter.Status is not (null or ImageStatus.Succeeded or ImageStatus.Failed))
        {
            return $"filter.status is '{filter.Status}'; it must be {ImageStatus.Succeeded} or {ImageStatus.Failed}.";
        }

        if (filter.FailureClass is { } failureClass && (failureClass.Length is 0 or > MaxFailureClass || !failureClass.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')))
        {
            return $"filter.failureClass must be a failure class such as {FailureClass.Unsupported}: 1 to {MaxFailureClass} lowercase letters, digits and '-'.";
        }

        if (filter.Format is { } format && (format.Length is 0 or > MaxFormat || !format.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c))))
        {
            return $"filter.format must be a format such as jpeg or heic: 1 to {MaxFormat} lowercase letters and digits.";
        }

        if (filter.ExtractorVersionBelow is < 0)
        {
            return $"filter.extractorVersionBelow is {filter.ExtractorVersionBelow}; extractor versions start at 0.";
        }

        return null;
    }

    private static bool IsUnavailable(Exception e, CancellationToken cancellationToken) =>
        e is RpcException or DaprException or TimeoutException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private static string Word(ReprocessingState? state) => state switch
    {
        ReprocessingState.Completed => "completed",
        ReprocessingState.Canceled => "canceled",
        ReprocessingState.Failed => "failed",
        _ => "ended",
    };

    private static ProblemHttpResult Invalid(string detail) => FailureProblems.Problem(StatusCodes.Status400BadRequest, FailureClass.InvalidRequest, detail);

    private static ProblemHttpResult NotAJobId(string id) =>
        FailureProblems.Problem(StatusCodes.Status400BadRequest, InvalidId, $"'{Shorten(id)}' is not a reprocessing job id ('reprocess-' and 32 lowercase hex characters).");

    private static ProblemHttpResult Unknown(string id) =>
        FailureProblems.Problem(StatusCodes.Status404NotFound, FailureClass.NotFound, $"No reprocessing job '{id}' is known to the workflow engine.");

    private static ProblemHttpResult Unavailable(string detail) => FailureProblems.Problem(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable, detail);

    /// <summary>An id echoed in an answer, cut short: the route takes any text.</summary>
    private static string Shorten(string id) => id.Length <= 64 ? id : id[..64] + "…";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not {Action} ({Reason})")]
    private static partial void LogUnavailable(ILogger logger, string action, string reason);
}
