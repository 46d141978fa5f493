using System.Collections.Frozen;
using System.Text;

namespace ImageMeta.Store.Text;

/// <summary>
/// The text the store matches camera and lens searches against: <see cref="Fold"/> of the stored value and of the search
/// term, compared as plain code units by every database. Folding in .NET rather than in SQL is what makes the three
/// providers agree: SQLite's <c>LOWER</c> and <c>LIKE</c> know only ASCII, PostgreSQL's <c>LOWER</c> depends on the
/// database's locale (only ASCII under <c>C</c>), and SQL Server's case-insensitive collations neither fold <c>ß</c> to
/// <c>ss</c> nor agree with the others on the rest.
/// </summary>
/// <remarks>
/// .NET has only simple case mappings (<c>"ß".ToUpperInvariant()</c> is <c>ß</c>), so the full folding table is generated
/// from Unicode's CaseFolding.txt (<c>CaseFolding.Table.cs</c>); it does not depend on ICU or the globalization mode.
/// </remarks>
public static class SearchText
{
    /// <summary>
    /// Raised whenever <see cref="Fold"/> changes its output, so that the store recomputes the stored keys at start-up
    /// (<see cref="SqlMetadataStore.MigrateAsync(CancellationToken)"/>).
    /// </summary>
    public const int FoldVersion = 1;

    /// <summary>
    /// Unicode caseless matching: compatibility-normalized (NFKC: full-width <c>ＯＬＹＭＰＵＳ</c> is <c>OLYMPUS</c>, and
    /// composed and decomposed <c>Ö</c> are one), then fully case folded (<c>Straße</c> and <c>STRASSE</c> both become
    /// <c>strasse</c>; <c>ÖLYMPUS</c> becomes <c>ölympus</c>), then composed again (NFC). Null stays null.
    /// </summary>
    public static string? Fold(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var normalized = text.IsNormalized(NormalizationForm.FormKC) ? text : text.Normalize(NormalizationForm.FormKC);
        var folded = new StringBuilder(normalized.Length);
        foreach (var rune in normalized.EnumerateRunes())
        {
            CaseFolding.Append(rune, folded);
        }

        var result = folded.ToString();
        return result.IsNormalized(NormalizationForm.FormC) ? result : result.Normalize(NormalizationForm.FormC);
    }
}

/// <summary>Unicode full case folding of one code point (the data is generated into <c>CaseFolding.Table.cs</c>).</summary>
internal static partial class CaseFolding
{
    // Built on first use: the tables are static fields of the other part of this class, whose initializers C# orders
    // after or before these at will.
    private static readonly Lazy<FrozenDictionary<int, string>> Table = new(Build);

    private static FrozenDictionary<int, string> Folds => Table.Value;

    public static void Append(Rune rune, StringBuilder to)
    {
        if (rune.Value < 0x80)
        {
            to.Append(rune.Value is >= 'A' and <= 'Z' ? (char)(rune.Value + 32) : (char)rune.Value);
        }
        else if (Folds.TryGetValue(rune.Value, out var folded))
        {
            to.Append(folded);
        }
        else
        {
            to.Append(rune.ToString());
        }
    }

    private static FrozenDictionary<int, string> Build()
    {
        var folds = new Dictionary<int, string>();
        foreach (var (first, count, step, delta) in Runs)
        {
            for (var i = 0; i < count; i++)
            {
                var codePoint = first + (i * step);
                folds[codePoint] = char.ConvertFromUtf32(codePoint + delta);
            }
        }

        foreach (var (codePoint, folded) in Expansions)
        {
            folds[codePoint] = folded;
        }

        return folds.ToFrozenDictionary();
    }
}
