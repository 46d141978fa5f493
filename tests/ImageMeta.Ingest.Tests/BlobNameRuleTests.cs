using System.Text;

namespace ImageMeta.Ingest.Tests;

/// <summary>The one name rule for uploads, events and the sweep.</summary>
public sealed class BlobNameRuleTests
{
    [Theory]
    [InlineData("photo.jpg")]
    [InlineData("2026/11/cat photo.JPG")]
    [InlineData("ünïcödé/日本.png")]
    [InlineData("a..b.jpg")]
    [InlineData("emoji-😀.png")]
    public void Ordinary_relative_names_are_accepted(string name) => Assert.Null(BlobNameRule.Problem(name));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("../escape.jpg")]
    [InlineData("a/../../escape.jpg")]
    [InlineData("x/../n.jpg")]
    [InlineData("./a.jpg")]
    [InlineData("/etc/passwd")]
    [InlineData("dir/")]
    [InlineData("a//b.jpg")]
    [InlineData("a\\b.jpg")]
    [InlineData("C:x.jpg")]
    [InlineData("line\nbreak.jpg")]
    [InlineData("nul\0.jpg")]
    [InlineData(" lead.jpg")]
    public void Path_tricks_and_control_characters_are_refused(string? name) => Assert.NotNull(BlobNameRule.Problem(name));

    [Fact]
    public void Over_long_names_are_refused() => Assert.NotNull(BlobNameRule.Problem(new string('a', BlobNameRule.MaxLength + 1)));

    [Fact]
    public void A_segment_is_limited_in_UTF8_bytes_not_UTF16_units()
    {
        // 200 × 'é' is 200 UTF-16 units but 400 bytes on disk: over the file system's 255.
        var accented = new string('é', 200) + ".jpg";
        Assert.True(accented.Length < 255);

        Assert.Contains("bytes", BlobNameRule.Problem(accented), StringComparison.Ordinal);
        Assert.Null(BlobNameRule.Problem(new string('é', 125) + ".jpg"));
    }

    [Theory]
    [InlineData("\u202egpj.exe")]
    [InlineData("a\u2066b\u2069.jpg")]
    [InlineData("zero\u200bwidth.jpg")]
    [InlineData("join\u200d.jpg")]
    [InlineData("\ufeffbom.jpg")]
    [InlineData("line\u2028sep.jpg")]
    [InlineData("para\u2029sep.jpg")]
    [InlineData("tag\U000E0041.jpg")]
    public void Bidi_overrides_format_characters_separators_and_unpaired_surrogates_are_refused(string name) =>
        Assert.NotNull(BlobNameRule.Problem(name));

    [Fact]
    public void An_unpaired_surrogate_is_refused() => Assert.NotNull(BlobNameRule.Problem("lone" + (char)0xD800 + ".jpg"));

    [Fact]
    public void Only_the_NFC_spelling_of_a_name_is_accepted_and_an_upload_s_name_is_put_in_NFC()
    {
        var nfd = "cafe\u0301.jpg";
        var nfc = "caf\u00e9.jpg";

        Assert.NotNull(BlobNameRule.Problem(nfd));
        Assert.Null(BlobNameRule.Problem(nfc));
        Assert.Equal(nfc, BlobNameRule.ForUpload(nfd));
    }

    [Fact]
    public void The_safe_rendering_of_a_refused_name_shows_each_forbidden_character_and_follows_the_rule_s_text_limits()
    {
        var safe = BlobNameRule.SafeRendering("bad\u0001name\u202e.jpg");

        Assert.Equal("bad<U+0001>name<U+202E>.jpg", safe);
        Assert.Null(BlobNameRule.Problem(safe));
        Assert.Equal(BlobNameRule.MaxLength, BlobNameRule.SafeRendering(new string('\u0007', 600)).Length);
        Assert.Equal("x<U+D800>", BlobNameRule.SafeRendering("x\ud800"));
        Assert.True(Encoding.UTF8.GetByteCount(BlobNameRule.SafeRendering("nul\0")) > 0);
    }
}
