using ImageMeta.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ImageMeta.Web.Service;

/// <summary>The problem answers of the web app's own endpoints: a status, the failure class and a sentence for people.</summary>
public static class WebProblems
{
    public static ProblemHttpResult Of(int status, string failureClass, string detail) =>
        TypedResults.Problem(statusCode: status, detail: detail, extensions: new Dictionary<string, object?> { [FailureClass.ProblemMember] = failureClass });

    /// <summary>The id in the path is not an image id.</summary>
    public static ProblemHttpResult InvalidId() => Of(StatusCodes.Status400BadRequest, "invalid-id", "That is not an image id.");
}
