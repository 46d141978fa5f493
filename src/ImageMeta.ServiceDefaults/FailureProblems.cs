using ImageMeta.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ImageMeta.ServiceDefaults;

/// <summary>
/// Problem-details answers that carry a <see cref="FailureClass"/> in the <see cref="FailureClass.ProblemMember"/>
/// member, so every service reports failures in the one shape callers classify them by.
/// </summary>
public static class FailureProblems
{
    public static ProblemHttpResult Problem(int status, string failureClass, string detail, string? title = null) =>
        TypedResults.Problem(
            statusCode: status,
            title: title,
            detail: detail,
            extensions: new Dictionary<string, object?> { [FailureClass.ProblemMember] = failureClass });
}
