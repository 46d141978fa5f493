using Microsoft.AspNetCore.Mvc.ViewFeatures;

namespace ImageMeta.Web.Service.Acting;

/// <summary>
/// The sentence an act leaves for the next page (post, redirect, get): kept in TempData for one request, shown by the
/// layout at the top of whichever page the act redirects to, so a reload does not send the act again.
/// </summary>
public static class PageNotice
{
    private const string Key = "imagemeta.notice";

    public static void SetNotice(this ITempDataDictionary tempData, string sentence) => tempData[Key] = sentence;

    /// <summary>The notice left for this request, read once.</summary>
    public static string? TakeNotice(this ITempDataDictionary tempData) => tempData[Key] as string;
}
