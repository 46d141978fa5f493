using ImageMeta.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ImageMeta.ServiceDefaults;

/// <summary>
/// Problem-details answers that carry a <see cref="FailureClass"/> in the <see cref="FailureClass.ProblemMember"/>
/// member, so every service reports failures in the one shape callers classify them by, and the one table from a
/// failure class to its HTTP status (<see cref="StatusFor"/>) and back (<see cref="ClassFor"/>, for problems the
/// framework writes itself).
/// </summary>
public static class FailureProblems
{
    /// <summary>
    /// The HTTP status of a failure class: 422 for content that will never process (empty, unsupported, corrupt),
    /// 413 over a limit, 404 missing, 410 deleted, 400 for a malformed request or a refused name, 503 for a dependency
    /// or the service's room (the one class worth retrying). Anything unknown is a 500.
    /// </summary>
    public static int StatusFor(string failureClass) => failureClass switch
    {
        FailureClass.Empty or FailureClass.Unsupported or FailureClass.Corrupt => StatusCodes.Status422UnprocessableEntity,
        FailureClass.TooLarge => StatusCodes.Status413PayloadTooLarge,
        FailureClass.NotFound => StatusCodes.Status404NotFound,
        FailureClass.Deleted => StatusCodes.Status410Gone,
        FailureClass.InvalidRequest or FailureClass.InvalidName => StatusCodes.Status400BadRequest,
        FailureClass.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>
    /// The class of a problem written without one (the framework's own 404, 413, a refused body): the inverse of
    /// <see cref="StatusFor"/> for the statuses it answers, <c>unavailable</c> for 408, 429 and 5xx (try again),
    /// <c>invalid-request</c> for any other 4xx.
    /// </summary>
    public static string ClassFor(int status) => status switch
    {
        StatusCodes.Status404NotFound => FailureClass.NotFound,
        StatusCodes.Status410Gone => FailureClass.Deleted,
        StatusCodes.Status413PayloadTooLarge => FailureClass.TooLarge,
        StatusCodes.Status408RequestTimeout or StatusCodes.Status429TooManyRequests or >= 500 => FailureClass.Unavailable,
        _ => FailureClass.InvalidRequest,
    };

    /// <summary>A problem with an explicit status (where a route means another status than the table's, e.g. 409 for a late save).</summary>
    public static ProblemHttpResult Problem(int status, string failureClass, string detail, string? title = null) =>
        TypedResults.Problem(
            statusCode: status,
            title: title,
            detail: detail,
            extensions: new Dictionary<string, object?> { [FailureClass.ProblemMember] = failureClass });

    /// <summary>A problem whose status is the table's for its class.</summary>
    public static ProblemHttpResult Problem(string failureClass, string detail, string? title = null) =>
        Problem(StatusFor(failureClass), failureClass, detail, title);

    /// <summary>The problem of a failure, its status from the table.</summary>
    public static ProblemHttpResult Problem(ProcessingFailure failure, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return Problem(failure.Class, failure.Message, title);
    }

    /// <summary>Gives a problem that has no <see cref="FailureClass.ProblemMember"/> the class of its status (see <see cref="ClassFor"/>).</summary>
    internal static void AddMissingClass(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (!problem.Extensions.ContainsKey(FailureClass.ProblemMember))
        {
            problem.Extensions[FailureClass.ProblemMember] = ClassFor(problem.Status ?? context.HttpContext.Response.StatusCode);
        }
    }
}
