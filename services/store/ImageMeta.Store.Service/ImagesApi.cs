using System.Text.Json;
using ImageMeta.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ImageMeta.Store.Service;

/// <summary>
/// The <c>images</c> resource: <c>PUT /images/{id}</c> upserts a record (the workflow's SaveMetadata),
/// <c>GET /images/{id}</c>, <c>GET /images</c> (filters, keyset pages, newest first, <c>duplicatesOf</c>),
/// <c>GET /images/stats</c>, (ImagesApi.Similar.cs) <c>GET /images/{id}/thumbnail</c> and <c>GET /images/{id}/similar</c>,
/// and (ImagesApi.Original.cs) <c>GET /images/{id}/original</c>.
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
                return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Metadata database unavailable", detail: e.Message);
            }
        });
        group.MapPut("/{id}", Put);
        group.MapGet("/stats", Stats);
        group.MapGet("/{id}", Get);
        group.MapGet("/{id}/thumbnail", Thumbnail);
        group.MapGet("/{id}/similar", Similar);
        group.MapGet("/{id}/original", Original);
        group.MapGet("/", List);
        return group;
    }

    private static async Task<Results<Created<ImageRecord>, Ok<ImageRecord>, ValidationProblem, ProblemHttpResult>> Put(
        string id, HttpRequest request, IMetadataStore store, CancellationToken cancellationToken)
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

        var (outcome, stored) = await store.UpsertAsync(record!, cancellationToken);
        request.HttpContext.Response.Headers["X-Upsert-Outcome"] = outcome.ToString().ToLowerInvariant();
        return outcome == UpsertOutcome.Inserted
            ? TypedResults.Created($"/{DaprTopology.Methods.Images}/{stored.Id}", stored)
            : TypedResults.Ok(stored);
    }

    private static async Task<Results<Ok<ImageRecord>, NotFound, ProblemHttpResult>> Get(string id, IMetadataStore store, CancellationToken cancellationToken)
    {
        if (!ImageId.TryParse(id, out var imageId))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid image id", detail: $"An image id is {ImageId.Length} lowercase hexadecimal characters.");
        }

        return await store.GetAsync(imageId, cancellationToken) is { } record ? TypedResults.Ok(record) : TypedResults.NotFound();
    }

    private static async Task<Ok<ImageStats>> Stats(IMetadataStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.StatsAsync(cancellationToken));

    private delegate bool TryParseBound(string text, out DateTime bound);

    private static async Task<Results<Ok<ImagePage>, ValidationProblem, ProblemHttpResult>> List(HttpRequest request, IMetadataStore store, IOptions<StoreOptions> options, CancellationToken cancellationToken)
    {
        var q = request.Query;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        int? Int(string name, int min = 0) => QueryInt(request, name, min, int.MaxValue, errors);

        DateTime? Time(string name, TryParseBound parse)
        {
            if (q[name] is not { Count: > 0 } values || string.IsNullOrEmpty(values[0]))
            {
                return null;
            }

            if (parse(values[0]!, out var at))
            {
                return at;
            }

            errors[name] = [$"{name} is a camera-local date (yyyy-MM-dd, the whole day) or date and time (yyyy-MM-ddTHH:mm:ss), without a zone."];
            return null;
        }

        string? Text(string name, int max = 256)
        {
            var value = q[name].FirstOrDefault();
            if (value?.Length > max)
            {
                errors[name] = [$"{name} is at most {max} characters."];
                return null;
            }

            return string.IsNullOrEmpty(value) ? null : value;
        }

        long? before = null;
        if (Text("cursor", 64) is { } cursor)
        {
            if (PageCursor.TryDecode(cursor, out var seq))
            {
                before = seq;
            }
            else
            {
                errors["cursor"] = ["cursor is not one this API issued."];
            }
        }

        var status = Text("status");
        if (status is not null and not (ImageStatus.Succeeded or ImageStatus.Failed))
        {
            errors["status"] = ["status is 'succeeded' or 'failed'."];
        }

        bool? hasGps = null;
        if (Text("hasGps") is { } gps)
        {
            if (bool.TryParse(gps, out var wanted))
            {
                hasGps = wanted;
            }
            else
            {
                errors["hasGps"] = ["hasGps is 'true' (only images with a GPS position) or 'false' (only images without)."];
            }
        }

        var query = new ImageQuery
        {
            Format = Text("format")?.ToLowerInvariant(),
            Status = status,
            MinWidth = Int("minWidth"),
            MaxWidth = Int("maxWidth"),
            MinHeight = Int("minHeight"),
            MaxHeight = Int("maxHeight"),
            Camera = Text("camera"),
            TakenFrom = Time("takenFrom", TakenBounds.TryParseFrom),
            TakenTo = Time("takenTo", TakenBounds.TryParseTo),
            Container = Text("container"),
            Sha256 = Text("sha256", 64),
            HasGps = hasGps,
            Limit = Math.Min(Int("limit", 1) ?? 50, options.Value.MaxPageSize),
            Before = before,
        };

        var duplicatesOf = Text("duplicatesOf", ImageId.Length);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Invalid query");
        }

        if (duplicatesOf is not null)
        {
            // The same set as /similar at the default distance, paged like any other listing (newest first).
            var (near, problem) = await NeighbourhoodAsync(duplicatesOf, PerceptualHash.NearDuplicateDistance, store, cancellationToken);
            if (near is null)
            {
                return problem!;
            }

            query = query with { Near = near };
        }

        return TypedResults.Ok(await store.QueryAsync(query, cancellationToken));
    }
}
