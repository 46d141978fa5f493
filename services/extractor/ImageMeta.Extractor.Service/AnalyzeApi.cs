using ImageMeta.Blobs;
using ImageMeta.Contracts;
using ImageMeta.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ImageMeta.Extractor.Service;

/// <summary>
/// <c>POST /analyze</c> (<see cref="DaprTopology.Methods.Analyze"/>, the workflow's one extractor step): a blob reference
/// in, the version read once through the <c>images</c> binding, and from those bytes the metadata and the thumbnail with
/// its renditions (written through the <c>thumbnails</c> binding as <c>&lt;id&gt;.webp</c>, <c>&lt;id&gt;@2x.webp</c> and
/// <c>&lt;id&gt;.preview.webp</c>). The answer is 200 <see cref="ImageAnalysis"/> whenever the content decided: a permanent
/// failure of either half (a missing or replaced blob, a corrupt image, an undecodable format) is a value in the body.
/// Only what a retry can change is a problem: 503 <c>unavailable</c> (a binding unreachable, or the in-flight memory budget
/// full, then with <c>Retry-After</c>), and 400 for a body that is no blob reference.
/// </summary>
public static class AnalyzeApi
{
    public static RouteGroupBuilder MapAnalyzeApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/" + DaprTopology.Methods.Analyze).AddEndpointFilter(TimedAnswerFilter.For((metrics, result, elapsed) => metrics.RecordAnalysis(result, elapsed)));
        group.MapPost("/", Analyze);
        return group;
    }

    private static async Task<Results<Ok<ImageAnalysis>, ProblemHttpResult>> Analyze(
        [FromBody] BlobReference? blob,
        IBlobBinding images,
        [FromKeyedServices(DaprTopology.Components.Thumbnails)] IBlobBinding thumbnails,
        ImageInspector inspector,
        ThumbnailRenderer renderer,
        HttpResponse response,
        CancellationToken cancellationToken)
    {
        var (content, problem) = await RequestedBlob.ReadAsync(blob, images, Title, cancellationToken);
        if (content is null)
        {
            // A blob that is gone or over the binding's limit is the content's answer, for both halves.
            return Permanent(problem!) is { } failure ? Answer(failure, failure) : problem!;
        }

        var metadata = inspector.Inspect(content.Content);
        if (metadata.Failure is { Class: FailureClass.Unavailable } busy)
        {
            return ExtractorProblems.For(busy, Title, inspector.Options, response);
        }

        if (!metadata.Succeeded)
        {
            // What the inspector refused, the renderer would refuse the same way: no second decode to learn it.
            return Answer(metadata.Failure, metadata.Failure);
        }

        // The inspector's answer picks the thumbnail's decoder by format and turns a RAW's preview as the RAW says.
        var rendered = renderer.Render(content.Content, metadata.Value);
        if (rendered.Failure is { Class: FailureClass.Unavailable } full)
        {
            return ExtractorProblems.For(full, Title, renderer.Limits, response);
        }

        if (!rendered.Succeeded)
        {
            return Answer(metadata.Value, rendered.Failure);
        }

        // The id of the version asked for (the one the workflow is keyed by), which the read just confirmed.
        var id = blob!.ImageId;
        try
        {
            foreach (var (name, webp) in rendered.Value.Blobs(id))
            {
                await thumbnails.CreateAsync(name, webp, "image/webp", cancellationToken);
            }
        }
        catch (BlobBindingUnavailableException e)
        {
            return FailureProblems.Problem(FailureClass.Unavailable, e.Message, Title(FailureClass.Unavailable));
        }

        return TypedResults.Ok(new ImageAnalysis
        {
            Metadata = metadata.Value,
            Thumbnail = rendered.Value.ToContract(id),
            ExtractorVersion = ExtractorVersions.Current,
            ExtractorBuild = ExtractorBuild.Version,
        });
    }

    private static Ok<ImageAnalysis> Answer(ImageMetadata metadata, ProcessingFailure thumbnailFailure) => TypedResults.Ok(new ImageAnalysis
    {
        Metadata = metadata,
        ThumbnailFailure = thumbnailFailure,
        ExtractorVersion = ExtractorVersions.Current,
        ExtractorBuild = ExtractorBuild.Version,
    });

    private static Ok<ImageAnalysis> Answer(ProcessingFailure failure, ProcessingFailure thumbnailFailure) => TypedResults.Ok(new ImageAnalysis
    {
        Failure = failure,
        ThumbnailFailure = thumbnailFailure,
        ExtractorVersion = ExtractorVersions.Current,
        ExtractorBuild = ExtractorBuild.Version,
    });

    /// <summary>The failure a refused read means for the image, when it is permanent (not-found, too-large); null otherwise.</summary>
    private static ProcessingFailure? Permanent(ProblemHttpResult problem) =>
        problem.ProblemDetails.Extensions.TryGetValue(FailureClass.ProblemMember, out var value) && value is string failureClass
            && FailureClass.Permanent.Contains(failureClass)
            ? new ProcessingFailure(failureClass, problem.ProblemDetails.Detail ?? failureClass)
            : null;

    private static string Title(string failureClass) => $"Analysis failed: {failureClass}";
}

/// <summary>The extractor's build version, as its <c>/healthz</c> says: the informational version git gave the build.</summary>
public static class ExtractorBuild
{
    public static string Version { get; } = HealthEndpoints.VersionOf(typeof(ExtractorBuild).Assembly);
}
