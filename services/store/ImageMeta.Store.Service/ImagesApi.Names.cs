using System.Text.Json;
using ImageMeta.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ImageMeta.Store.Service;

/// <summary>
/// <c>POST /images/names</c>: one container's current records in blob-name order, a keyset page at a time, as compact
/// rows (id, name, version, failure class). Ingest's sweep walks it beside the container's listing to find records whose
/// blob is gone.
/// </summary>
public static partial class ImagesApi
{
    /// <summary>The longest container name (as the record validator bounds <c>blob.container</c>).</summary>
    private const int MaxContainerLength = 256;

    /// <summary>The longest blob name (as the record validator bounds <c>blob.name</c>).</summary>
    private const int MaxNameLength = 1024;

    private static async Task<Results<Ok<ImageNamePage>, ValidationProblem, ProblemHttpResult>> Names(HttpRequest request, IMetadataStore store, CancellationToken cancellationToken)
    {
        ImageNamesRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<ImageNamesRequest>(request.Body, ContractJson.Options, cancellationToken);
        }
        catch (JsonException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid names request", detail: e.Message);
        }

        var errors = new Dictionary<string, string[]>();
        if (body is null || string.IsNullOrEmpty(body.Container) || body.Container.Length > MaxContainerLength)
        {
            errors["container"] = [$"container is required, at most {MaxContainerLength} characters."];
        }

        if (body?.After is { Length: > MaxNameLength })
        {
            errors["after"] = [$"after is a blob name: at most {MaxNameLength} characters."];
        }

        if (body?.Through is { Length: > MaxNameLength })
        {
            errors["through"] = [$"through is a blob name: at most {MaxNameLength} characters."];
        }

        if (body is not null && body.Limit is < 1 or > ImageNamesRequest.MaxLimit)
        {
            errors["limit"] = [$"limit is 1 to {ImageNamesRequest.MaxLimit}."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Invalid names request");
        }

        return TypedResults.Ok(await store.NamesAsync(body!.Container, body.After, body.Through, body.Limit, cancellationToken));
    }
}
