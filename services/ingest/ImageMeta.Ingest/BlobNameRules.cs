namespace ImageMeta.Ingest;

/// <summary>
/// Which blob names an upload may use. A name is a relative path inside the container: the local-storage
/// binding joins it to its root folder, so anything that could leave that folder or confuse the file system
/// (<c>..</c>, absolute paths, backslashes, control characters) is refused before anything is written.
/// </summary>
public static class BlobNameRules
{
    /// <summary>Azure's limit on blob names; local file systems allow less per segment.</summary>
    public const int MaxLength = 1024;

    private const int MaxSegmentLength = 255;

    /// <summary>Null when <paramref name="name"/> is acceptable, else why not.</summary>
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

        if (name.Any(char.IsControl))
        {
            return "The blob name contains control characters.";
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

            if (segment.Length > MaxSegmentLength)
            {
                return $"A path segment of the blob name is longer than {MaxSegmentLength} characters.";
            }

            if (segment != segment.Trim())
            {
                return "Path segments of the blob name may not start or end with spaces.";
            }
        }

        return null;
    }
}
