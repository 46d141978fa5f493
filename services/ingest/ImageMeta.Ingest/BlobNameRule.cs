using System.Globalization;
using System.Text;

namespace ImageMeta.Ingest;

/// <summary>
/// The one rule for what a blob name may be, for uploads, BlobCreated events and the sweep alike. A name is a relative
/// path inside the container, in canonical form: segments separated by single <c>/</c>, none empty, <c>.</c> or
/// <c>..</c>, no leading or trailing <c>/</c>, no <c>\</c> or <c>:</c>; each segment at most 255 UTF-8 bytes (what
/// ext4, xfs and the other local file systems allow; Azure allows 1024 characters in all); no control characters, no
/// format characters (bidi overrides and isolates, zero-width characters, the BOM), no line or paragraph separators,
/// no unpaired surrogates; segments neither blank nor starting or ending with spaces; and in Unicode NFC, so one name
/// that looks the same is one blob. Names are never rewritten on the way in, except that an upload's name is put in NFC
/// first (<see cref="ForUpload"/>): the client chose that name, whereas an event's or a listing's name is the blob's.
/// </summary>
public static class BlobNameRule
{
    /// <summary>Azure's limit on blob names (UTF-16 characters).</summary>
    public const int MaxLength = 1024;

    /// <summary>The usual file-system limit on one path segment, in bytes (UTF-8 on Linux).</summary>
    public const int MaxSegmentBytes = 255;

    /// <summary>
    /// Whether this process can tell NFC from NFD. .NET's globalization-invariant mode cannot (normalization is then a
    /// no-op), so ingest runs with ICU and refuses to start without it rather than let NFD names through.
    /// </summary>
    public static bool NormalizationAvailable { get; } = !"e\u0301".IsNormalized(NormalizationForm.FormC);

    /// <summary>Null when <paramref name="name"/> follows the rule, else a sentence saying why not (without the name itself).</summary>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "A blob name is required (query parameter 'name' or the form file's name).";
        }

        if (name.Length > MaxLength)
        {
            return $"The blob name is longer than {MaxLength} characters.";
        }

        if (FirstForbidden(name) is { } forbidden)
        {
            return forbidden;
        }

        if (name.Contains('\\', StringComparison.Ordinal) || name.Contains(':', StringComparison.Ordinal))
        {
            return "The blob name may not contain '\\' or ':'.";
        }

        if (name.StartsWith('/') || name.EndsWith('/'))
        {
            return "The blob name must be a relative path that names a file (no leading or trailing '/').";
        }

        foreach (var segment in name.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or ".." || segment.Trim().Length == 0)
            {
                return "The blob name may not contain empty, '.' or '..' path segments.";
            }

            if (Encoding.UTF8.GetByteCount(segment) > MaxSegmentBytes)
            {
                return $"A path segment of the blob name is longer than {MaxSegmentBytes} bytes in UTF-8.";
            }

            if (segment != segment.Trim())
            {
                return "Path segments of the blob name may not start or end with spaces.";
            }
        }

        if (!name.IsNormalized(NormalizationForm.FormC))
        {
            return "The blob name is not in Unicode normalization form C (NFC).";
        }

        return null;
    }

    /// <summary>An upload's name as it will be stored: in NFC (a client's file picker may hand over NFD), otherwise as given.</summary>
    public static string? ForUpload(string? name)
    {
        if (name is null)
        {
            return null;
        }

        try
        {
            return name.IsNormalized(NormalizationForm.FormC) ? name : name.Normalize(NormalizationForm.FormC);
        }
        catch (ArgumentException)
        {
            // Unpaired surrogates cannot be normalized; the rule refuses them.
            return name;
        }
    }

    /// <summary>
    /// A rendering of a name that breaks the rule, safe to store and to show: every forbidden character as <c>&lt;U+XXXX&gt;</c>,
    /// at most <see cref="MaxLength"/> characters (cut with a closing <c>…</c>). A record of an image whose name breaks the
    /// rule (a blob written behind the pipeline's back) carries this as its name, so it is visible and cannot mislead.
    /// </summary>
    public static string SafeRendering(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var text = new StringBuilder(name.Length);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsHighSurrogate(name[i]) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                var pair = name.Substring(i, 2);
                if (IsForbidden(CharUnicodeInfo.GetUnicodeCategory(pair, 0)))
                {
                    text.Append(CultureInfo.InvariantCulture, $"<U+{char.ConvertToUtf32(name[i], name[i + 1]):X4}>");
                }
                else
                {
                    text.Append(pair);
                }

                i++;
            }
            else if (char.IsSurrogate(name[i]) || IsForbidden(CharUnicodeInfo.GetUnicodeCategory(name[i])))
            {
                text.Append(CultureInfo.InvariantCulture, $"<U+{(int)name[i]:X4}>");
            }
            else
            {
                text.Append(name[i]);
            }
        }

        var safe = text.ToString();
        if (!safe.IsNormalized(NormalizationForm.FormC))
        {
            safe = safe.Normalize(NormalizationForm.FormC);
        }

        return safe.Length <= MaxLength ? safe : safe[..(MaxLength - 1)] + "…";
    }

    /// <summary>Control (Cc), format (Cf: bidi controls, zero-width characters, the BOM), line and paragraph separators, unassigned surrogates.</summary>
    private static bool IsForbidden(UnicodeCategory category) =>
        category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate;

    private static string? FirstForbidden(string name)
    {
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsHighSurrogate(name[i]) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                if (IsForbidden(CharUnicodeInfo.GetUnicodeCategory(name, i)))
                {
                    return "The blob name contains format characters (invisible or direction-changing).";
                }

                i++;
                continue;
            }

            switch (CharUnicodeInfo.GetUnicodeCategory(name[i]))
            {
                case UnicodeCategory.Control:
                    return "The blob name contains control characters.";
                case UnicodeCategory.Format:
                    return "The blob name contains format characters (invisible or direction-changing, or a byte order mark).";
                case UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator:
                    return "The blob name contains line or paragraph separators.";
                case UnicodeCategory.Surrogate:
                    return "The blob name contains an unpaired surrogate (not valid Unicode text).";
            }
        }

        return null;
    }
}
