using System.Text;

namespace ImageMeta.Cli;

/// <summary>
/// A path as the file system knows it: bytes on Linux, where a name need not be UTF-8. <see cref="Text"/>
/// shows it to people (each byte that is not part of valid UTF-8 written as <c>\xHH</c>); <see cref="Bytes"/>
/// is exact and is what the file is opened by.
/// </summary>
public sealed class FilePath
{
    private FilePath(byte[] bytes, string text, bool isUtf8)
    {
        Bytes = bytes;
        Text = text;
        IsUtf8 = isUtf8;
    }

    public byte[] Bytes { get; }

    /// <summary>The path for display: exact when <see cref="IsUtf8"/>, else with <c>\xHH</c> for each invalid byte.</summary>
    public string Text { get; }

    /// <summary>Whether <see cref="Bytes"/> is valid UTF-8, so <see cref="Text"/> alone gives the bytes back.</summary>
    public bool IsUtf8 { get; }

    public static FilePath FromBytes(byte[] bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return new FilePath(bytes, Encoding.UTF8.GetString(bytes), isUtf8: true);
        }

        var text = new StringBuilder(bytes.Length + 16);
        ReadOnlySpan<byte> rest = bytes;
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(rest, out var rune, out var consumed) == System.Buffers.OperationStatus.Done)
            {
                text.Append(rune.ToString());
            }
            else
            {
                consumed = Math.Max(consumed, 1);
                foreach (var b in rest[..consumed])
                {
                    text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\x{b:X2}");
                }
            }

            rest = rest[consumed..];
        }

        return new FilePath(bytes, text.ToString(), isUtf8: false);
    }

    public static FilePath FromText(string text) => FromBytes(Encoding.UTF8.GetBytes(text));

    /// <summary>This path, then a separator, then a name.</summary>
    public FilePath Join(byte[] name)
    {
        // "photos/" given on the command line gives "photos/a.jpg", not "photos//a.jpg".
        var separator = Bytes is [.., (byte)'/'] ? 0 : 1;
        var joined = new byte[Bytes.Length + separator + name.Length];
        Bytes.CopyTo(joined, 0);
        if (separator == 1)
        {
            joined[Bytes.Length] = (byte)'/';
        }

        name.CopyTo(joined, Bytes.Length + separator);
        return FromBytes(joined);
    }

    public override string ToString() => Text;
}
