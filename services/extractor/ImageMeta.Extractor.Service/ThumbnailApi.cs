using ImageMeta.Blobs;
using ImageMeta.Contracts;
using ImageMeta.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ImageMeta.Extractor.Service;

/// <summary>
/// <c>POST /thumbnail</c> (the method the workflow's MakeThumbnail activity invokes): a blob reference in, the
/// version read through the <c>images</c> binding, a WebP of at most 320 px written through the <c>thumbnails</c>
/// binding under <see cref="ImageThumbnail.NameFor"/> of the image id (never into <c>images</c>, where a new blob
/// would start a workflow), and <see cref="ImageThumbnail"/> answered. A re-run of the same version writes the same
/// name and bytes. Failures are problem details with the class in <c>failureClass</c>, as for <c>/extract</c>:
/// 422/413/404 are final, 503 (a binding unreachable, or the in-flight memory budget full, then with
/// <c>Retry-After</c>) is worth retrying.
/// </summary>
public static class ThumbnailApi
{
    public static RouteGroupBuilder MapThumbnailApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/" + DaprTopology.Methods.Thumbnail).AddEndpointFilter(TimedAnswerFilter.For((metrics, result, elapsed) => metrics.RecordThumbnail(result, elapsed)));
        group.MapPost("/", MakeThumbnail);
        return group;
    }

    private static async Task<Results<Ok<ImageThumbnail>, ProblemHttpResult>> MakeThumbnail(
        [FromBody] BlobReference? blob,
        IBlobBinding images,
        [FromKeyedServices(DaprTopology.Components.Thumbnails)] IBlobBinding thumbnails,
        ThumbnailRenderer renderer,
        HttpResponse response,
        CancellationToken cancellationToken)
    {
        var (content, problem) = await RequestedBlob.ReadAsync(blob, images, Title, cancellationToken);
        if (content is null)
        {
            return problem!;
        }

        var result = renderer.Render(content.Content);
        if (!result.Succeeded)
        {
            return ExtractorProblems.For(result.Failure, Title, renderer.Limits, response);
        }

        // The id of the version asked for (the one the workflow is keyed by), which the read just confirmed.
        var thumbnail = result.Value.ToContract(blob!.ImageId);
        try
        {
            await thumbnails.CreateAsync(thumbnail.Name, result.Value.Webp, "image/webp", cancellationToken);
        }
        catch (BlobBindingUnavailableException e)
        {
            return FailureProblems.Problem(FailureClass.Unavailable, e.Message, Title(FailureClass.Unavailable));
        }

        return TypedResults.Ok(thumbnail);
    }

    private static string Title(string failureClass) => $"Thumbnail failed: {failureClass}";
}
