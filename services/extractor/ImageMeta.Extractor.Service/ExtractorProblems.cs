using System.Globalization;
using ImageMeta.Contracts;
using ImageMeta.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ImageMeta.Extractor.Service;

/// <summary>
/// The problem answer of a failed extraction or thumbnail: the status from the one failure → status table
/// (<see cref="FailureProblems.StatusFor"/>), and for a full in-flight budget (<c>unavailable</c> from the inspector)
/// a <c>Retry-After</c>, because the same request will succeed once work in flight has finished.
/// </summary>
public static class ExtractorProblems
{
    public static ProblemHttpResult For(ProcessingFailure failure, Func<string, string> titleFor, ExtractionOptions options, HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(failure);
        ArgumentNullException.ThrowIfNull(titleFor);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(response);
        if (failure.Class == FailureClass.Unavailable)
        {
            response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        }

        return FailureProblems.Problem(failure, titleFor(failure.Class));
    }
}
