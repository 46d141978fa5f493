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
        if (blob is null || string.IsNullOrWhiteSpace(blob.Name) || string.IsNullOrWhiteSpace(blob.Container))
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid-request", "The body must be a blob reference with a container and a name.");
        }

        if (!string.Equals(blob.Container, blobs.Container, StringComparison.Ordinal))
        {
            return Problem(StatusCodes.Status404NotFound, FailureClass.NotFound, $"Container '{blob.Container}' is not served by this extractor (it reads '{blobs.Container}').");
        }

        BlobContent content;
        try
        {
            content = await blobs.GetAsync(blob.Name, cancellationToken);
        }
        catch (BlobNotFoundException e)
        {
            return Problem(StatusCodes.Status404NotFound, FailureClass.NotFound, e.Message);
        }
        catch (BlobTooLargeException e)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, FailureClass.TooLarge, e.Message);
        }
        catch (BlobBindingUnavailableException e)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable, e.Message);
        }

        if (blob.Version is not null && content.Blob.Version is not null && blob.Version != content.Blob.Version)
        {
            return Problem(StatusCodes.Status404NotFound, FailureClass.NotFound,
                $"Blob '{blob.Name}' has been replaced: version '{blob.Version}' no longer exists (now '{content.Blob.Version}').");
        }

        return Answer(inspector.Inspect(content.Content, verify), inspector, response);
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
        FailureProblems.Problem(status, failureClass, detail, title: $"Extraction failed: {failureClass}");
}
