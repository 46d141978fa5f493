using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageMeta.Contracts;

/// <summary>
/// Contract enums in lower kebab case on the wire (<c>Upload</c> → <c>"upload"</c>, <c>AlreadyKnown</c> →
/// <c>"already-known"</c>); numbers are refused, so an unknown value fails to read instead of becoming a number.
/// </summary>
public sealed class KebabCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false)
    where TEnum : struct, Enum
{
}

/// <summary>Contract enums in upper snake case on the wire (<c>ContinuedAsNew</c> → <c>"CONTINUED_AS_NEW"</c>), as daprd names workflow statuses.</summary>
public sealed class UpperSnakeCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.SnakeCaseUpper, allowIntegerValues: false)
    where TEnum : struct, Enum
{
}

/// <summary>The wire names the two converters write, for metric labels and logs, which must say what the JSON says.</summary>
public static class ContractEnumNames
{
    /// <summary>As <see cref="KebabCaseEnumConverter{TEnum}"/> writes it.</summary>
    public static string KebabCase(Enum value) => JsonNamingPolicy.KebabCaseLower.ConvertName((value ?? throw new ArgumentNullException(nameof(value))).ToString());

    /// <summary>As <see cref="UpperSnakeCaseEnumConverter{TEnum}"/> writes it.</summary>
    public static string UpperSnakeCase(Enum value) => JsonNamingPolicy.SnakeCaseUpper.ConvertName((value ?? throw new ArgumentNullException(nameof(value))).ToString());
}
