namespace ImageMeta.Web.Service.Library;

/// <summary>Registrations of the pages' live features (the changes feed, renditions, map, lifecycle actions).</summary>
public static class WebUiRegistration
{
    public static IServiceCollection AddWebUi(this IServiceCollection services)
    {
        services.AddSingleton<LibraryCalls>();
        services.AddOptions<MapTilesOptions>().BindConfiguration(MapTilesOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }

    /// <summary>The pages' own endpoints (renditions, the map's positions); behind sign-in with the pages when sign-in is on.</summary>
    public static RouteGroupBuilder MapWebUi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapRenditions();
        group.MapPositions();
        return group;
    }
}
