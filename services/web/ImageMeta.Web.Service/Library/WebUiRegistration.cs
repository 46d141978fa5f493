namespace ImageMeta.Web.Service.Library;

/// <summary>Registrations of the pages' live features (the changes feed, renditions, map, lifecycle actions).</summary>
public static class WebUiRegistration
{
    public static IServiceCollection AddWebUi(this IServiceCollection services)
    {
        services.AddSingleton<LibraryCalls>();
        return services;
    }
}
