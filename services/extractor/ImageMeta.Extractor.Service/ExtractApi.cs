using ImageMeta.Blobs;
using ImageMeta.Contracts;
using ImageMeta.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ImageMeta.Extractor.Service;

/// <summary>
/// <c>POST /extract</c> (a blob reference, read through the <c>images</c> binding; the method the workflow
/// invokes) and <c>POST /extract/content</c> (the image in the body). Failures are problem details with the
/// class in <c>failureClass</c>: 422 for content that will never extract, 413 too large, 404 missing blob,
/// 503 when the binding is unreachable or when the memory budget of inspections in flight is full (then
/// with <c>Retry-After</c>). The 4xx answers are final; 503 is worth retrying.
/// </summary>
public static class ExtractApi
{
    public static RouteGroupBuilder MapExtractApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/" + DaprTopology.Methods.Extract).AddEndpointFilter(TimedAnswerFilter.For((metrics, result, elapsed) => metrics.RecordExtraction(result, elapsed)));
        group.MapPost("/", ExtractBlob);
        group.MapPost("/content", ExtractContent);
        return group;
    }

    private static async Task<Results<Ok<ImageMetadata>, ProblemHttpResult>> ExtractBlob(
        [FromBody] BlobReference? blob, bool? verify, IBlobBinding blobs, ImageInspector inspector, HttpResponse response, CancellationToken cancellationToken)
    {
        var (content, problem) = await RequestedBlob.ReadAsync(blob, blobs, Title, cancellationToken);
        return content is null ? problem! : Answer(inspector.Inspect(content.Content, verify), inspector, response);
    }

    private static async Task<Results<Ok<ImageMetadata>, ProblemHttpResult>> ExtractContent(
        HttpRequest request, bool? verify, ImageInspector inspector, CancellationToken cancellationToken)
    {
        try
        {
            return Answer(await inspector.InspectAsync(request.Body, verify, request.ContentLength, cancellationToken), inspector, request.HttpContext.Response);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, FailureClass.TooLarge, $"The body is larger than the limit of {inspector.Options.MaxBytes} bytes.");
        }
    }

    private static Results<Ok<ImageMetadata>, ProblemHttpResult> Answer(Extractor.ExtractionResult result, ImageInspector inspector, HttpResponse response)
    {
        if (result.Succeeded)
        {
            return TypedResults.Ok(result.Metadata);
        }

        if (result.Failure.Class == FailureClass.Unavailable)
        {
            // Too much in flight right now: the same request will succeed later, and the caller is told when to retry.
            response.Headers.RetryAfter = inspector.Options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Problem(StatusCodes.Status503ServiceUnavailable, result.Failure.Class, result.Failure.Message);
        }

        return Problem(result.Failure.Class == FailureClass.TooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status422UnprocessableEntity,
            result.Failure.Class, result.Failure.Message);
    }

    private static ProblemHttpResult Problem(int status, string failureClass, string detail) =>
        FailureProblems.Problem(status, failureClass, detail, Title(failureClass));

    private static string Title(string failureClass) => $"Extraction failed: {failureClass}";
}
