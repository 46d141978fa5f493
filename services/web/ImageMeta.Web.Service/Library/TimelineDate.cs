using System.Globalization;
using ImageMeta.Contracts;

namespace ImageMeta.Web.Service.Library;

/// <summary>
/// The date a card is placed and labelled by in the timeline: the store's <c>order=taken</c> rule (the date taken as
/// the camera wrote it, else the blob's upload time, else when it was processed, in UTC), so the page's headers and
/// the live gallery's insertions agree with the store's pages.
/// </summary>
public sealed record TimelineDate(string SortKey, bool Taken)
{
    public static TimelineDate For(ImageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.Metadata?.Exif?.TakenAt is { Length: >= 19 } taken
            ? new TimelineDate(taken[..19], true)
            : new TimelineDate((record.Blob.LastModified ?? record.ProcessedAt).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture), false);
    }

    /// <summary>The month the card belongs to, <c>yyyy-MM</c>.</summary>
    public string Month => SortKey[..7];

    /// <summary>The card's label: "14 Jul 2019", or "Uploaded 14 Jul 2026" when the file carries no date taken.</summary>
    public string Label
    {
        get
        {
            var day = DateTime.TryParseExact(SortKey, "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
                ? at.ToString("d MMM yyyy", CultureInfo.InvariantCulture)
                : SortKey[..10];
            return Taken ? day : "Uploaded " + day;
        }
    }

    /// <summary>"July 2019" for <c>2019-07</c>.</summary>
    public static string MonthName(int year, int month) => new DateTime(year, month, 1).ToString("MMMM yyyy", CultureInfo.InvariantCulture);

    /// <summary>"July 2019" for a <see cref="Month"/> key.</summary>
    public static string MonthName(string month) =>
        int.TryParse(month.AsSpan(0, 4), CultureInfo.InvariantCulture, out var year) && int.TryParse(month.AsSpan(5, 2), CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 12 && year >= 1
            ? MonthName(year, number)
            : month;
}
