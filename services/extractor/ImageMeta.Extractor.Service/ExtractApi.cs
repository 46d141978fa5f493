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
            return FailureProblems.Problem(FailureClass.TooLarge, $"The body is larger than the limit of {inspector.Options.MaxBytes} bytes.", Title(FailureClass.TooLarge));
        }
    }

    private static Results<Ok<ImageMetadata>, ProblemHttpResult> Answer(Outcome<ImageMetadata> result, ImageInspector inspector, HttpResponse response) =>
        result.Succeeded ? TypedResults.Ok(result.Value) : ExtractorProblems.For(result.Failure, Title, inspector.Options, response);

    private static string Title(string failureClass) => $"Extraction failed: {failureClass}";
}
