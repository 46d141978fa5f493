using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace ImageMeta.ServiceDefaults;

/// <summary>
/// Answers the server's own refusals of a request with their status instead of a 500: Kestrel throws
/// <see cref="BadHttpRequestException"/> from a body read when the body is over
/// <c>MaxRequestBodySize</c> (413), arrives slower than <c>MinRequestBodyDataRate</c> (408), or is
/// malformed (400). These are the caller's doing, so they are logged as one line without a stack trace.
/// </summary>
public sealed partial class RequestRefusalHandler(IProblemDetailsService problems, ILogger<RequestRefusalHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException refusal)
        {
            return false;
        }

        var status = refusal.StatusCode;
        LogRefused(logger, httpContext.Request.Method, httpContext.Request.Path, status, refusal.Message);
        if (httpContext.Response.HasStarted)
        {
            // Nothing more can be said on this response; the server closes the connection.
            return true;
        }

        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = new ProblemDetails
            {
                Status = status,
                Title = Title(status),
                Detail = refusal.Message,
            },
        });
    }

    private static string Title(int status) => status switch
    {
        StatusCodes.Status413PayloadTooLarge => "Request body too large",
        StatusCodes.Status408RequestTimeout => "Request body sent too slowly",
        _ => "Bad request",
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path} refused with {Status}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, PathString path, int status, string reason);
}
