using ImageMeta.Web.Service.Calls;

namespace ImageMeta.Web.Service.Acting;

/// <summary>The sentences people read after deleting or processing images again, from ingest's answer.</summary>
public static class ActSentences
{
    public const string Deleted = "Deleted. It may take a moment to leave the gallery.";

    public const string Reprocessing = "Processing again: the new record replaces this one when it is stored.";

    public const string IngestDownDelete = "The ingest service is not answering, so nothing was deleted. Try again shortly.";

    public const string IngestDownReprocess = "The ingest service is not answering, so nothing was started. Try again shortly.";

    /// <summary>Ingest's refusal of one image's delete, in words: 404 means there is nothing left to delete.</summary>
    public static string DeleteRefused(ActOutcome outcome) => outcome.Status == StatusCodes.Status404NotFound
        ? "This image is already deleted (or was never stored): there is nothing left to delete."
        : $"The image was not deleted: {outcome.Refusal}";

    /// <summary>Ingest's refusal to process one image again: 404 no record, 409 deleted.</summary>
    public static string ReprocessRefused(ActOutcome outcome) => outcome.Status switch
    {
        StatusCodes.Status404NotFound => "This image has no stored record to process again.",
        StatusCodes.Status409Conflict => "This image was deleted, so there is nothing to process again.",
        _ => $"The image was not processed again: {outcome.Refusal}",
    };

    /// <summary>"1 image" or "3 images".</summary>
    public static string Images(int count) => count == 1 ? "1 image" : $"{count} images";
}
