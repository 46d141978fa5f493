using ImageMeta.Blobs;
using ImageMeta.Contracts;
using ImageMeta.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ImageMeta.Extractor.Service;

/// <summary>
/// The blob version a workflow call names, read through the <c>images</c> binding, or the problem that says why it
/// cannot be: 400 for a body that is no blob reference, 404 for another container, a missing blob or a replaced
/// version, 413 over the binding's size limit, 503 when the binding is unreachable. <c>/extract</c> and
/// <c>/thumbnail</c> answer these the same way, so the workflow classifies both alike.
/// </summary>
public static class RequestedBlob
{
    /// <summary>
    /// Reads <paramref name="blob"/>; exactly one of the answer's content and problem is set. <paramref name="titleFor"/>
    /// gives the problem title for a failure class, naming the operation that could not start.
    /// </summary>
    public static async Task<(BlobContent? Content, ProblemHttpResult? Problem)> ReadAsync(
        BlobReference? blob, IBlobBinding images, Func<string, string> titleFor, CancellationToken cancellationToken)
    {
        if (blob is null || string.IsNullOrWhiteSpace(blob.Name) || string.IsNullOrWhiteSpace(blob.Container))
        {
            return Refused(FailureClass.InvalidRequest, "The body must be a blob reference with a container and a name.");
        }

        if (!string.Equals(blob.Container, images.Container, StringComparison.Ordinal))
        {
            return Refused(FailureClass.NotFound, $"Container '{blob.Container}' is not served by this extractor (it reads '{images.Container}').");
        }

        BlobContent content;
        try
        {
            content = await images.GetAsync(blob.Name, cancellationToken);
        }
        catch (BlobNotFoundException e)
        {
            return Refused(FailureClass.NotFound, e.Message);
        }
        catch (BlobTooLargeException e)
        {
            return Refused(FailureClass.TooLarge, e.Message);
        }
        catch (BlobBindingUnavailableException e)
        {
            return Refused(FailureClass.Unavailable, e.Message);
        }

        // The binding reads the newest version; an older one the workflow was started for is gone for good.
        if (blob.Version is not null && content.Blob.Version is not null && blob.Version != content.Blob.Version)
        {
            return Refused(FailureClass.NotFound,
                $"Blob '{blob.Name}' has been replaced: version '{blob.Version}' no longer exists (now '{content.Blob.Version}').");
        }

        return (content, null);

        (BlobContent?, ProblemHttpResult?) Refused(string failureClass, string detail) =>
            (null, FailureProblems.Problem(failureClass, detail, titleFor(failureClass)));
    }
}
