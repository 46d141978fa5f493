using System.ComponentModel.DataAnnotations;
using ImageMeta.Contracts;

namespace ImageMeta.Store.Service;

/// <summary>
/// The query of <c>GET /images</c>, bound with <c>[AsParameters]</c> and checked by minimal-API validation before the
/// handler runs: a bad value is a 400 naming it, and nothing is read. Values stay text here (see QueryValues.cs);
/// <see cref="ToQuery"/> turns them into the store's <see cref="ImageQuery"/>.
/// </summary>
public sealed class ListImagesQuery : IValidatableObject
{
    /// <summary>Default page size.</summary>
    public const int DefaultLimit = 50;

    [QueryText(ImageRecordValidator.MaxFormat)]
    public string? Format { get; set; }

    [OneOf(ImageStatus.Succeeded, ImageStatus.Failed)]
    public string? Status { get; set; }

    [WholeNumber(0)]
    public string? MinWidth { get; set; }

    [WholeNumber(0)]
    public string? MaxWidth { get; set; }

    [WholeNumber(0)]
    public string? MinHeight { get; set; }

    [WholeNumber(0)]
    public string? MaxHeight { get; set; }

    [QueryText(ImageRecordValidator.MaxText)]
    public string? Camera { get; set; }

    [QueryText(ImageRecordValidator.MaxText)]
    public string? Lens { get; set; }

    [WholeNumber(0)]
    public string? MinIso { get; set; }

    [WholeNumber(0)]
    public string? MaxIso { get; set; }

    [DecimalNumber(0, 100_000)]
    public string? MinFocalLength { get; set; }

    [DecimalNumber(0, 100_000)]
    public string? MaxFocalLength { get; set; }

    [TakenBound]
    public string? TakenFrom { get; set; }

    [TakenBound]
    public string? TakenTo { get; set; }

    [QueryText(ImageRecordValidator.MaxText)]
    public string? Container { get; set; }

    [QueryText(ImageRecordValidator.MaxName)]
    public string? Name { get; set; }

    [QueryText(64)]
    public string? Sha256 { get; set; }

    [TrueOrFalse]
    public string? HasGps { get; set; }

    [QueryText(ImageRecordValidator.MaxFailureClass)]
    public string? FailureClass { get; set; }

    [WholeNumber(0)]
    public string? ExtractorVersionBelow { get; set; }

    [Instant]
    public string? ProcessedBefore { get; set; }

    [OneOf("current", "all")]
    public string? Versions { get; set; }

    [OneOf("processed", "taken")]
    public string? Order { get; set; }

    [MonthOrDay]
    public string? StartAt { get; set; }

    [ImageIdText]
    public string? DuplicatesOf { get; set; }

    [WholeNumber(1)]
    public string? Limit { get; set; }

    [QueryText(PageCursor.MaxLength)]
    public string? Cursor { get; set; }

    private ImageOrder OrderValue => Order == "taken" ? ImageOrder.Taken : ImageOrder.Processed;

    /// <summary>The rules between parameters, and the cursor (which only this API can read).</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(Cursor))
        {
            if (!PageCursor.TryDecode(Cursor, out var key))
            {
                yield return new ValidationResult("cursor is not one this API issued.", ["cursor"]);
            }
            else if (key.Order != OrderValue)
            {
                yield return new ValidationResult($"cursor belongs to order={(key.Order == ImageOrder.Taken ? "taken" : "processed")}; ask with the same order.", ["cursor"]);
            }
        }

        if (!string.IsNullOrEmpty(Name) && string.IsNullOrEmpty(Container))
        {
            yield return new ValidationResult("name needs container: a blob name is exact within one container.", ["name"]);
        }

        if (!string.IsNullOrEmpty(StartAt) && OrderValue != ImageOrder.Taken)
        {
            yield return new ValidationResult("startAt needs order=taken.", ["startAt"]);
        }
    }

    /// <summary>The store's query for these (valid) values; <paramref name="maxPageSize"/> caps the limit.</summary>
    public ImageQuery ToQuery(int maxPageSize)
    {
        PageKey? after = PageCursor.TryDecode(Cursor, out var key) ? key : null;
        return new ImageQuery
        {
            Format = Empty(Format)?.ToLowerInvariant(),
            Status = Empty(Status),
            MinWidth = WholeNumberAttribute.Parse(MinWidth),
            MaxWidth = WholeNumberAttribute.Parse(MaxWidth),
            MinHeight = WholeNumberAttribute.Parse(MinHeight),
            MaxHeight = WholeNumberAttribute.Parse(MaxHeight),
            Camera = Empty(Camera),
            Lens = Empty(Lens),
            MinIso = WholeNumberAttribute.Parse(MinIso),
            MaxIso = WholeNumberAttribute.Parse(MaxIso),
            MinFocalLength = DecimalNumberAttribute.Parse(MinFocalLength),
            MaxFocalLength = DecimalNumberAttribute.Parse(MaxFocalLength),
            TakenFrom = Empty(TakenFrom) is { } from && TakenBounds.TryParseFrom(from, out var f) ? f : null,
            TakenTo = Empty(TakenTo) is { } to && TakenBounds.TryParseTo(to, out var t) ? t : null,
            Container = Empty(Container),
            Name = Empty(Name),
            Sha256 = Empty(Sha256),
            HasGps = TrueOrFalseAttribute.Parse(HasGps),
            FailureClass = Empty(FailureClass),
            ExtractorVersionBelow = WholeNumberAttribute.Parse(ExtractorVersionBelow),
            ProcessedBefore = InstantAttribute.Parse(ProcessedBefore),
            AllVersions = Versions == "all",
            Order = OrderValue,
            // A period that ends with year 9999 has no bound: everything is on or before it.
            TakenBefore = string.IsNullOrEmpty(StartAt) ? null : MonthOrDayAttribute.After(StartAt),
            Limit = Math.Min(WholeNumberAttribute.Parse(Limit) ?? DefaultLimit, maxPageSize),
            After = after,
        };
    }

    private static string? Empty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}

/// <summary>The query of <c>GET /images/{id}/similar</c>.</summary>
public sealed class SimilarImagesQuery
{
    /// <summary>Largest <c>maxDistance</c>: beyond half the bits, hashes of unrelated photos match as often as not.</summary>
    public const int LargestDistance = 32;

    /// <summary>Default and largest <c>limit</c>.</summary>
    public const int DefaultLimit = 20, MaxLimit = 100;

    [WholeNumber(0, LargestDistance)]
    public string? MaxDistance { get; set; }

    [WholeNumber(1)]
    public string? Limit { get; set; }
}

/// <summary>The query of <c>GET /images/timeline</c>: optional filters, which make it count by scanning.</summary>
public sealed class TimelineQuery
{
    [OneOf(ImageStatus.Succeeded, ImageStatus.Failed)]
    public string? Status { get; set; }

    [QueryText(ImageRecordValidator.MaxFormat)]
    public string? Format { get; set; }
}

/// <summary>The query of <c>GET /images/positions</c>.</summary>
public sealed class PositionsQuery : IValidatableObject
{
    /// <summary>Default and largest <c>limit</c> (most points answered as points).</summary>
    public const int DefaultLimit = 500, MaxLimit = 5000;

    /// <summary><c>minLon,minLat,maxLon,maxLat</c> in degrees (required; checked in <see cref="Validate"/>).</summary>
    public string? Bbox { get; set; }

    [WholeNumber(1, MaxLimit)]
    public string? Limit { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Bbox is not { Length: > 0 and <= 128 } || TryBox(Bbox) is null)
        {
            yield return new ValidationResult(
                "bbox is minLon,minLat,maxLon,maxLat in degrees: longitudes -180 to 180, latitudes -90 to 90, each minimum at most its maximum.", ["bbox"]);
        }
    }

    /// <summary>The box, or null when the text is not a valid one.</summary>
    public static BoundingBox? TryBox(string text)
    {
        var parts = text.Split(',');
        var values = new double[4];
        if (parts.Length != 4)
        {
            return null;
        }

        for (var i = 0; i < 4; i++)
        {
            if (!double.TryParse(parts[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out values[i]) || !double.IsFinite(values[i]))
            {
                return null;
            }
        }

        var box = new BoundingBox(values[0], values[1], values[2], values[3]);
        return box.MinLon is >= -180 and <= 180 && box.MaxLon is >= -180 and <= 180 && box.MinLat is >= -90 and <= 90 && box.MaxLat is >= -90 and <= 90
            && box.MinLon <= box.MaxLon && box.MinLat <= box.MaxLat ? box : null;
    }
}

/// <summary>The query of <c>GET /images/changes</c>.</summary>
public sealed class ChangesQuery : IValidatableObject
{
    /// <summary>Default and largest <c>limit</c>.</summary>
    public const int DefaultLimit = 100, MaxLimit = 500;

    [QueryText(PageCursor.MaxLength)]
    public string? After { get; set; }

    [WholeNumber(1, MaxLimit)]
    public string? Limit { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(After) && !ChangeCursor.TryDecode(After, out _))
        {
            yield return new ValidationResult("after is not a token this API issued.", ["after"]);
        }
    }
}
