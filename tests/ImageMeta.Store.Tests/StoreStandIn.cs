using System.Reflection;

namespace ImageMeta.Store.Tests;

/// <summary>
/// An <see cref="IMetadataStore"/> for the service tests that forwards every call to a function: a real store whose
/// migration is skipped, or one whose every call fails as an unreachable database does. A proxy rather than a
/// hand-written class, so the stand-ins follow the interface as it grows.
/// </summary>
public class StoreStandIn : DispatchProxy
{
    private Func<MethodInfo, object?[]?, object?> _call = (_, _) => null;

    /// <summary>A store that skips <c>MigrateAsync</c> and forwards everything else to <paramref name="inner"/>.</summary>
    public static IMetadataStore NeverMigrated(IMetadataStore inner) =>
        Create((method, args) => method.Name == nameof(IMetadataStore.MigrateAsync) ? Task.CompletedTask : method.Invoke(inner, args));

    /// <summary>A store whose every call but <c>MigrateAsync</c> throws <see cref="StoreUnavailableException"/>, as when PostgreSQL is down.</summary>
    public static IMetadataStore Unreachable() =>
        Create((method, _) => method.Name == nameof(IMetadataStore.MigrateAsync)
            ? Task.CompletedTask
            : throw new StoreUnavailableException("connection refused", new TimeoutException()));

    private static IMetadataStore Create(Func<MethodInfo, object?[]?, object?> call)
    {
        var store = DispatchProxy.Create<IMetadataStore, StoreStandIn>();
        ((StoreStandIn)(object)store)._call = call;
        return store;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        try
        {
            return _call(targetMethod!, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }
}
