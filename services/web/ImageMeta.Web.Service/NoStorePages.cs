using Microsoft.AspNetCore.Mvc.Filters;

namespace ImageMeta.Web.Service;

/// <summary>
/// <c>Cache-Control: no-store</c> on every page: pages show what one person may see (their images, their session), so
/// neither a browser's nor a proxy's cache keeps them. (MVC's <c>ResponseCacheAttribute</c> is an action filter, which
/// Razor Pages do not run.)
/// </summary>
public sealed class NoStorePages : IPageFilter
{
    public void OnPageHandlerSelected(PageHandlerSelectedContext context)
    {
    }

    public void OnPageHandlerExecuting(PageHandlerExecutingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.HttpContext.Response.Headers.CacheControl = "no-store";
    }

    public void OnPageHandlerExecuted(PageHandlerExecutedContext context)
    {
    }
}
