using ImageMeta.Blobs;
using ImageMeta.Contracts;
using ImageMeta.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace ImageMeta.Ingest.Service;

/// <summary>The name, type and bytes of one upload.</summary>
public sealed record UploadBody(string Name, string? ContentType, BlobUploadBuffer Content);

/// <summary>The body went past the upload limit.</summary>
public sealed class UploadTooLargeException : Exception
{
}

/// <summary>
/// Reads an upload's body into one buffer: a <c>multipart/form-data</c> request's one file, or any other body as the image
/// itself, whatever its content type (so <c>curl --data-binary</c>, which sends a form content type, works). The name is
/// the query's <c>name</c> or the form file's name, put in NFC and checked by <see cref="BlobNameRule"/>; a refused name
/// or form is a problem answer and nothing is read past it.
/// </summary>
public static class UploadBodyReader
{
    /// <summary>Whether the request is a form upload (the only content type read as a form).</summary>
    public static bool IsMultipart(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse((request ?? throw new ArgumentNullException(nameof(request))).ContentType, out var mediaType)
        && mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase);

    /// <summary>A raw body: its <c>Content-Length</c> sizes the one buffer it is read into.</summary>
    /// <exception cref="UploadTooLargeException">The body went past <paramref name="limit"/>.</exception>
    public static async Task<UploadBody> ReadRawAsync(HttpRequest request, string name, long limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var content = BlobUploadBuffer.For(request.ContentLength, limit);
        try
        {
            if (!await content.ReadFromAsync(request.Body, limit, cancellationToken))
            {
                throw new UploadTooLargeException();
            }
        }
        catch
        {
            content.Dispose();
            throw;
        }

        return new UploadBody(name, request.ContentType, content);
    }

    /// <summary>
    /// A <c>multipart/form-data</c> body, streamed section by section (nothing is buffered to disk or memory on the
    /// way): exactly one file section, read into one buffer sized by the request's <c>Content-Length</c> (its sections
    /// have no length of their own); other fields are skipped.
    /// </summary>
    /// <exception cref="UploadTooLargeException">The file went past <paramref name="limit"/>.</exception>
    public static async Task<(UploadBody? Body, ProblemHttpResult? Problem)> ReadMultipartAsync(HttpRequest request, string? name, long limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) ||
            HeaderUtilities.RemoveQuotes(mediaType.Boundary) is not { Length: > 0 } boundary)
        {
            return (null, InvalidUpload("A form upload must be multipart/form-data with a boundary, carrying one file."));
        }

        var reader = new MultipartReader(boundary.ToString(), request.Body);
        UploadBody? file = null;
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition())
                {
                    await section.Body.CopyToAsync(Stream.Null, cancellationToken);
                    continue;
                }

                if (file is not null)
                {
                    return (null, InvalidUpload("A multipart upload must carry exactly one file."));
                }

                var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).ToString();
                var blobName = BlobNameRule.ForUpload(name ?? fileName);
                if (BlobNameRule.Problem(blobName) is { } nameProblem)
                {
                    return (null, FailureProblems.Problem(StatusCodes.Status400BadRequest, FailureClass.InvalidName, nameProblem));
                }

                file = new UploadBody(blobName!, section.ContentType, BlobUploadBuffer.For(request.ContentLength, limit));
                if (!await file.Content.ReadFromAsync(section.Body, limit, cancellationToken))
                {
                    throw new UploadTooLargeException();
                }
            }
        }
        catch
        {
            file?.Content.Dispose();
            throw;
        }

        return file is null ? (null, InvalidUpload("A multipart upload must carry exactly one file.")) : (file, null);
    }

    private static ProblemHttpResult InvalidUpload(string detail) => FailureProblems.Problem(StatusCodes.Status400BadRequest, "invalid-upload", detail);
}
