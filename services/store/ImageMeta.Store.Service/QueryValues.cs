using System.ComponentModel.DataAnnotations;
using System.Globalization;
using ImageMeta.Contracts;

namespace ImageMeta.Store.Service;

// The query values of the store's routes arrive as text and are checked by these attributes, so that a malformed
// value is a validation problem naming the parameter (minimal-API binding of an int? would answer a bare 400 before
// validation runs). Each attribute's Parse is what the handler then uses.

/// <summary>
/// A check of one query value whose message names the parameter as clients write it (<c>minWidth</c>, not the
/// property's <c>MinWidth</c>); <see cref="StoreRegistration"/> spells the problem's error keys the same way.
/// </summary>
public abstract class QueryValueAttribute : ValidationAttribute
{
    public sealed override string FormatErrorMessage(string name) => Message(System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(name));

    /// <summary>The sentence, given the parameter's name.</summary>
    protected abstract string Message(string name);
}

/// <summary>A whole number within bounds (no sign, no spaces).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class WholeNumberAttribute(int minimum, int maximum = int.MaxValue) : QueryValueAttribute
{
    public static int? Parse(string? text) =>
        string.IsNullOrEmpty(text) ? null : int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);

    public override bool IsValid(object? value) =>
        value is not string text || text.Length == 0
        || (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= minimum && n <= maximum);

    protected override string Message(string name) =>
        maximum == int.MaxValue ? $"{name} must be a whole number of at least {minimum}." : $"{name} must be a whole number from {minimum} to {maximum}.";
}

/// <summary>A finite decimal number within bounds (<c>.</c> as the separator).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class DecimalNumberAttribute(double minimum, double maximum) : QueryValueAttribute
{
    public static double? Parse(string? text) =>
        string.IsNullOrEmpty(text) ? null : double.Parse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    public override bool IsValid(object? value) =>
        value is not string text || text.Length == 0
        || (double.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            && double.IsFinite(n) && n >= minimum && n <= maximum);

    protected override string Message(string name) =>
        string.Create(CultureInfo.InvariantCulture, $"{name} must be a number from {minimum} to {maximum}.");
}

/// <summary><c>true</c> or <c>false</c>, any case.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class TrueOrFalseAttribute : QueryValueAttribute
{
    public static bool? Parse(string? text) => string.IsNullOrEmpty(text) ? null : bool.Parse(text);

    public override bool IsValid(object? value) => value is not string text || text.Length == 0 || bool.TryParse(text, out _);

    protected override string Message(string name) => $"{name} is 'true' or 'false'.";
}

/// <summary>One of a few words (or absent).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OneOfAttribute(params string[] words) : QueryValueAttribute
{
    public override bool IsValid(object? value) => value is not string text || text.Length == 0 || words.Contains(text, StringComparer.Ordinal);

    protected override string Message(string name) => $"{name} is {string.Join(" or ", words.Select(w => $"'{w}'"))}.";
}

/// <summary>
/// Text of at most <paramref name="maximum"/> characters without control characters or unpaired surrogates (no database
/// could compare those, and a term with a line feed could match across camera_key's make and model).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class QueryTextAttribute(int maximum) : QueryValueAttribute
{
    public override bool IsValid(object? value) => value is not string text || (text.Length <= maximum && ImageRecordValidator.IsPlainText(text, lineBreaks: false));

    protected override string Message(string name) => $"{name} is at most {maximum} characters, without control characters.";
}

/// <summary>An image id: 32 lowercase hexadecimal characters.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ImageIdTextAttribute : QueryValueAttribute
{
    public override bool IsValid(object? value) => value is not string text || text.Length == 0 || ImageId.TryParse(text, out _);

    protected override string Message(string name) => $"{name} is an image id: {ImageId.Length} lowercase hexadecimal characters.";
}

/// <summary>A camera-local bound of <c>takenFrom</c>/<c>takenTo</c>: a date, or a date and time without a zone.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class TakenBoundAttribute : QueryValueAttribute
{
    public override bool IsValid(object? value) => value is not string text || text.Length == 0 || TakenBounds.TryParseFrom(text, out _);

    protected override string Message(string name) =>
        $"{name} is a camera-local date (yyyy-MM-dd, the whole day) or date and time (yyyy-MM-ddTHH:mm:ss), without a zone.";
}

/// <summary>An instant in ISO 8601 with a zone (<c>2024-05-01T12:00:00Z</c>, <c>…+02:00</c>).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class InstantAttribute : QueryValueAttribute
{
    private static readonly string[] Formats = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK"];

    public static DateTimeOffset? Parse(string? text) =>
        string.IsNullOrEmpty(text) ? null : DateTimeOffset.ParseExact(text, Formats, CultureInfo.InvariantCulture, DateTimeStyles.None);

    public override bool IsValid(object? value) =>
        value is not string text || text.Length == 0
        || (text.Length > 16 && (text[^1] is 'Z' || text[^6] is '+' or '-')
            && DateTimeOffset.TryParseExact(text, Formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out _));

    protected override string Message(string name) => $"{name} is an instant with its zone, such as 2024-05-01T12:00:00Z.";
}

/// <summary><c>startAt</c>: a month (<c>yyyy-MM</c>) or a day (<c>yyyy-MM-dd</c>).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MonthOrDayAttribute : QueryValueAttribute
{
    /// <summary>The first <c>sort_time</c> after the period, as text (<c>yyyy-MM-ddTHH:mm:ss</c>); null when the period ends year 9999.</summary>
    public static string? After(string text)
    {
        var start = DateTime.ParseExact(text, text.Length == 7 ? "yyyy-MM" : "yyyy-MM-dd", CultureInfo.InvariantCulture);
        var last = text.Length == 7 ? new DateTime(start.Year, start.Month, DateTime.DaysInMonth(start.Year, start.Month)) : start;
        return last.Date == DateTime.MaxValue.Date ? null : last.AddDays(1).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
    }

    public override bool IsValid(object? value) =>
        value is not string text || text.Length == 0
        || DateTime.TryParseExact(text, text.Length == 7 ? "yyyy-MM" : "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);

    protected override string Message(string name) => $"{name} is a month (yyyy-MM) or a day (yyyy-MM-dd).";
}
