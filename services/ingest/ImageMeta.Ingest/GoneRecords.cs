using ImageMeta.Blobs;
using ImageMeta.Contracts;

namespace ImageMeta.Ingest;

/// <summary>What the storage says of a stored record's blob version that a listing did not show.</summary>
public enum GoneCheck
{
    /// <summary>No blob of that name: the version is gone, and its record and thumbnails go.</summary>
    Gone,

    /// <summary>The blob holds that very version (written after the listing was read, or listed where the walk did not look): kept.</summary>
    Present,

    /// <summary>The name holds another version: the record stays until that version's record replaces it (the store's replace).</summary>
    Replaced,

    /// <summary>The blob could not be asked (timeout, storage unavailable): nothing is decided; a later sweep asks again.</summary>
    Unreadable,

    /// <summary>
    /// A record of a name that breaks the name rule, kept under the name's safe rendering: no blob has that name, so
    /// absence says nothing and the record is left alone.
    /// </summary>
    NotChecked,
}

/// <summary>
/// Decides, one record at a time, whether a record the listing did not show really lost its blob, and deletes it when
/// it did. The listing is only a hint: each such record's name is described again (<see cref="VersionReads"/>) before
/// anything is deleted, so a blob written after its page was listed, or a listing ordered unlike the store, costs one
/// description and never a record.
/// </summary>
public interface IGoneRecords
{
    /// <exception cref="BlobBindingUnavailableException">Never: an unreadable blob is <see cref="GoneCheck.Unreadable"/>.</exception>
    Task<GoneCheck> CheckAsync(string container, ImageNameRow row, CancellationToken cancellationToken);

    /// <summary>Deletes the record's image version (record and thumbnails) through <see cref="DeleteImageWorkflow"/>.</summary>
    Task DeleteAsync(string container, ImageNameRow row, CancellationToken cancellationToken);
}

/// <summary><see cref="IGoneRecords"/> over the blob binding and <see cref="ImageDeletions"/>, the path every delete takes.</summary>
public sealed class GoneRecords(VersionReads versions, ImageDeletions deletions) : IGoneRecords
{
    public async Task<GoneCheck> CheckAsync(string container, ImageNameRow row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.FailureClass == FailureClass.InvalidName || !Reference(container, row).ImageId.Equals(row.Id))
        {
            return GoneCheck.NotChecked;
        }

        try
        {
            var current = await versions.DescribeAsync(row.BlobName, cancellationToken);
            return string.Equals(current.Version, row.BlobVersion, StringComparison.Ordinal) ? GoneCheck.Present : GoneCheck.Replaced;
        }
        catch (Exception e) when (e is BlobNotFoundException or BlobNotAFileException)
        {
            return GoneCheck.Gone;
        }
        catch (Exception e) when (e is BlobBindingUnavailableException or TimeoutException or BlobTooLargeException)
        {
            return GoneCheck.Unreadable;
        }
    }

    public Task DeleteAsync(string container, ImageNameRow row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        return deletions.StartAsync(Reference(container, row), cancellationToken);
    }

    /// <summary>The blob version the record was made from; its id is the row's (checked before anything is deleted).</summary>
    private static BlobReference Reference(string container, ImageNameRow row) => new(container, row.BlobName, row.BlobVersion);
}
