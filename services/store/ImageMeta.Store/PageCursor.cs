using System.Globalization;
using System.Text;

namespace ImageMeta.Store;

/// <summary>
/// Opaque page cursors, base64url so clients treat them as tokens. A cursor carries its order: <c>s&lt;seq&gt;</c> for
/// <see cref="ImageOrder.Processed"/> (the form earlier versions issued, still accepted), <c>t&lt;sort time&gt;|&lt;seq&gt;</c>
/// for <see cref="ImageOrder.Taken"/>.
/// </summary>
public static class PageCursor
{
    /// <summary>Longest cursor this API issues, with room to spare; anything longer is not one of ours.</summary>
    public const int MaxLength = 96;

    public static string Encode(PageKey key) =>
        Base64Url(key.Order == ImageOrder.Taken
            ? string.Create(CultureInfo.InvariantCulture, $"t{key.SortTime}|{key.Seq}")
            : string.Create(CultureInfo.InvariantCulture, $"s{key.Seq}"));

    public static bool TryDecode(string? cursor, out PageKey key)
    {
        key = new PageKey(ImageOrder.Processed, 0);
        if (string.IsNullOrEmpty(cursor) || cursor.Length > MaxLength || !TryText(cursor, out var text) || text.Length < 2)
        {
            return false;
        }

        if (text[0] == 's')
        {
            if (TrySeq(text.AsSpan(1), out var seq))
            {
                key = new PageKey(ImageOrder.Processed, seq);
                return true;
            }

            return false;
        }

        var bar = text.IndexOf('|', StringComparison.Ordinal);
        if (text[0] != 't' || bar != 20 || !TrySeq(text.AsSpan(bar + 1), out var takenSeq)
            || !DateTime.TryParseExact(text[1..bar], "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            return false;
        }

        key = new PageKey(ImageOrder.Taken, takenSeq, text[1..bar]);
        return true;
    }

    private static bool TrySeq(ReadOnlySpan<char> digits, out long seq) =>
        long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out seq) && seq > 0;

    internal static string Base64Url(string text) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    internal static bool TryText(string token, out string text)
    {
        text = string.Empty;
        try
        {
            var padded = token.Replace('-', '+').Replace('_', '/') + new string('=', (4 - token.Length % 4) % 4);
            var bytes = Convert.FromBase64String(padded);
            if (bytes.Any(b => b is < 0x20 or > 0x7E))
            {
                return false;
            }

            text = Encoding.ASCII.GetString(bytes);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>
/// Opaque tokens of <c>GET /images/changes</c>: <c>c&lt;tx&gt;.&lt;seq&gt;.&lt;issued ticks&gt;</c>, base64url. The key's two
/// integers may be negative only as the provider issues them (they never are in practice).
/// </summary>
public static class ChangeCursor
{
    public static string Encode(ChangeToken token) =>
        PageCursor.Base64Url(string.Create(CultureInfo.InvariantCulture, $"c{token.Tx}.{token.Seq}.{token.IssuedAt.UtcTicks}"));

    public static bool TryDecode(string? text, out ChangeToken token)
    {
        token = new ChangeToken(0, 0, DateTimeOffset.MinValue);
        if (string.IsNullOrEmpty(text) || text.Length > PageCursor.MaxLength || !PageCursor.TryText(text, out var plain) || !plain.StartsWith('c'))
        {
            return false;
        }

        var parts = plain[1..].Split('.');
        if (parts.Length != 3
            || !long.TryParse(parts[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var tx)
            || !long.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seq)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            return false;
        }

        token = new ChangeToken(tx, seq, new DateTimeOffset(ticks, TimeSpan.Zero));
        return true;
    }
}
