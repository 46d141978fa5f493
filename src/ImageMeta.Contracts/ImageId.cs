using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageMeta.Contracts;

/// <summary>
/// Identifies one version of one blob, and with it the one workflow instance and the one stored row
/// for that version. It is a hash rather than the blob name because Dapr workflow instance ids may
/// hold only letters, digits, '_' and '-', and because names can be long or hostile.
/// </summary>
[JsonConverter(typeof(ImageIdJsonConverter))]
public readonly record struct ImageId
{
    /// <summary>Number of hexadecimal characters in an id (128 bits of SHA-256).</summary>
    public const int Length = 32;

    private ImageId(string value) => Value = value;

    /// <summary>The id as lowercase hexadecimal text, safe in URLs, SQL keys and workflow instance ids.</summary>
    public string Value { get; }

    /// <summary>
    /// Derives the id of a blob version. Each part is length-prefixed before hashing so that no two
    /// different (container, name, version) triples can produce the same input text.
    /// </summary>
    public static ImageId For(string container, string name, string? version)
    {
        ArgumentException.ThrowIfNullOrEmpty(container);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var text = new StringBuilder();
        foreach (var part in new[] { container, name, version ?? string.Empty })
        {
            text.Append(part.Length).Append(':').Append(part).Append('\n');
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return new ImageId(Convert.ToHexStringLower(hash.AsSpan(0, Length / 2)));
    }

    /// <summary>Accepts exactly 32 lowercase hexadecimal characters.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out ImageId id)
    {
        if (text is { Length: Length } && text.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
        {
            id = new ImageId(text);
            return true;
        }

        id = default;
        return false;
    }

    /// <summary>Parses an id or throws <see cref="FormatException"/> naming the expected form.</summary>
    public static ImageId Parse(string text) =>
        TryParse(text, out var id)
            ? id
            : throw new FormatException($"An image id is {Length} lowercase hexadecimal characters; got '{text}'.");

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;
}

/// <summary>Writes an <see cref="ImageId"/> as its string and refuses malformed ids on read.</summary>
public sealed class ImageIdJsonConverter : JsonConverter<ImageId>
{
    /// <inheritdoc />
    public override ImageId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return ImageId.TryParse(text, out var id)
            ? id
            : throw new JsonException($"An image id is {ImageId.Length} lowercase hexadecimal characters.");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, ImageId value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Value);
}
