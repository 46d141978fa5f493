using System.Text.Json;
using ImageMeta.Contracts;
using ImageMeta.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ImageMeta.Store.Service;

/// <summary>
/// The <c>images</c> resource: <c>PUT /images/{id}</c> upserts a record (the workflow's SaveMetadata),
/// <c>DELETE /images/{id}</c> removes one and keeps a tombstone, <c>GET /images/{id}</c>, <c>GET /images</c> (filters,
/// keyset pages in either order, <c>duplicatesOf</c>), <c>POST /images/lookup</c>, <c>POST /images/names</c>
/// (ImagesApi.Names.cs), and the summaries
/// (ImagesApi.Views.cs: stats, timeline, positions, changes); (ImagesApi.Similar.cs) thumbnails, renditions and similar
/// images; (ImagesApi.Original.cs) <c>GET /images/{id}/original</c>.
/// A database outage answers 503 so callers retry; bad input answers 400 and changes nothing.
/// </summary>
public static partial class ImagesApi
{
    public static RouteGroupBuilder MapImagesApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/" + DaprTopology.Methods.Images);
        group.AddEndpointFilter(async (context, next) =>
        {
            try
            {
                return await next(context);
            }
            catch (StoreUnavailableException e)
            {
                // The database's error (host, port, server message) goes to the log only; callers learn to retry.
                context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ImagesApi))
                    .LogWarning(e.InnerException, "Metadata database unavailable during {Method} {Path}", context.HttpContext.Request.Method, context.HttpContext.Request.Path);
                return FailureProblems.Problem(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable, e.Message, "Metadata database unavailable");
            }
        });
        group.MapPut("/{id}", Put);
        group.MapDelete("/{id}", Delete);
        group.MapPost("/lookup", Lookup);
        group.MapPost("/names", Names);
        group.MapGet("/stats", Stats);
        group.MapGet("/timeline", Timeline);
        group.MapGet("/positions", Positions);
        group.MapGet("/changes", Changes);
        group.MapGet("/{id}", Get);
        group.MapGet("/{id}/thumbnail", Thumbnail);
        group.MapGet("/{id}/preview", Preview);
        group.MapGet("/{id}/similar", Similar);
        group.MapGet("/{id}/original", Original);
        group.MapGet("/", List);
        return group;
    }

    private static async Task<Results<Created<ImageRecord>, Ok<ImageRecord>, ValidationProblem, ProblemHttpResult>> Put(
        string id, HttpRequest request, IMetadataStore store, ThumbnailDeletions thumbnails, CancellationToken cancellationToken)
    {
        ImageRecord? record;
        try
        {
            record = await JsonSerializer.DeserializeAsync<ImageRecord>(request.Body, ContractJson.Options, cancellationToken);
        }
        catch (JsonException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid image record", detail: e.Message);
        }

        var errors = ImageRecordValidator.Validate(id, record);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Invalid image record");
        }

        var result = await store.UpsertAsync(record!, cancellationToken);
        if (result.Outcome == UpsertOutcome.Deleted)
        {
            // The refused run's thumbnails are orphans: queued by the store, deleted now if the binding answers.
            await thumbnails.TryDeleteAsync(result.ReleasedThumbnails, cancellationToken);
            return FailureProblems.Problem(StatusCodes.Status409Conflict, FailureClass.Deleted,
                $"The image '{id}' was deleted after its blob was last written; the record is not stored again.", "Image deleted");
        }

        // Replaced versions' thumbnails go now if the binding answers; otherwise the maintenance loop retries them.
        await thumbnails.TryDeleteAsync(result.ReleasedThumbnails, cancellationToken);
        request.HttpContext.Response.Headers["X-Upsert-Outcome"] = result.Outcome.ToString().ToLowerInvariant();
        return result.Outcome == UpsertOutcome.Inserted
            ? TypedResults.Created($"/{DaprTopology.Methods.Images}/{result.Stored.Id}", result.Stored)
            : TypedResults.Ok(result.Stored);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        string id, HttpContext http, IMetadataStore store, ThumbnailDeletions thumbnails, CancellationToken cancellationToken)
    {
        if (!ImageId.TryParse(id, out var imageId))
        {
            return InvalidId();
        }

        var result = await store.DeleteAsync(imageId, cancellationToken);
        if (!await thumbnails.TryDeleteAsync(result.ReleasedThumbnails, cancellationToken))
        {
            // The record is gone and the tombstone kept; the thumbnails are queued and retried in the background. The
            // caller (the delete workflow) may ask again: a second delete is harmless and tries the thumbnails again.
            http.Response.Headers.RetryAfter = ThumbnailDeletions.RetryAfterSeconds;
            return FailureProblems.Problem(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable,
                "The record is deleted, but its thumbnails could not be deleted yet; they are retried. Retry to confirm.", "Thumbnails unavailable");
        }

        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<ImageRecord>, ProblemHttpResult>> Get(string id, IMetadataStore store, CancellationToken cancellationToken)
    {
        var (record, problem) = await FindAsync(id, store, cancellationToken);
        return record is not null ? TypedResults.Ok(record) : problem!;
    }

    private static async Task<Results<Ok<ImagePage>, ProblemHttpResult>> List(
        [AsParameters] ListImagesQuery parameters, IMetadataStore store, IOptions<StoreOptions> options, CancellationToken cancellationToken)
    {
        var query = parameters.ToQuery(options.Value.MaxPageSize);
        if (parameters.DuplicatesOf is { Length: > 0 } duplicatesOf)
        {
            // The same set as /similar at the default distance, paged like any other listing.
            var (near, problem) = await NeighbourhoodAsync(duplicatesOf, PerceptualHash.NearDuplicateDistance, store, cancellationToken);
            if (near is null)
            {
                return problem!;
            }

            query = query with { Near = near };
        }

        return TypedResults.Ok(await store.QueryAsync(query, cancellationToken));
    }

    private static async Task<Results<Ok<ImageLookup>, ValidationProblem, ProblemHttpResult>> Lookup(HttpRequest request, IMetadataStore store, CancellationToken cancellationToken)
    {
        ImageLookupRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<ImageLookupRequest>(request.Body, ContractJson.Options, cancellationToken);
        }
        catch (JsonException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid lookup", detail: e.Message);
        }

        if (body?.Ids is not { } texts || texts.Count > SqlMetadataStore.MaxLookupIds)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["ids"] = [$"ids is a list of at most {SqlMetadataStore.MaxLookupIds} image ids."] }, title: "Invalid lookup");
        }

        var ids = new List<ImageId>(texts.Count);
        foreach (var text in texts)
        {
            if (!ImageId.TryParse(text, out var id))
            {
                return TypedResults.ValidationProblem(
                    new Dictionary<string, string[]> { ["ids"] = [$"Every id is {ImageId.Length} lowercase hexadecimal characters."] }, title: "Invalid lookup");
            }

            ids.Add(id);
        }

        return TypedResults.Ok(await store.LookupAsync(ids, cancellationToken));
    }

    private static ProblemHttpResult InvalidId() =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid image id", detail: $"An image id is {ImageId.Length} lowercase hexadecimal characters.");
}
