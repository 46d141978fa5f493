using System.Security.Cryptography;
using Dapr.Client;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Caching.Memory;

namespace ImageMeta.Web.Service.SignIn;

/// <summary>
/// The sign-in sessions, kept on the server: the session cookie holds only a random session id, and the ticket (who
/// signed in, the provider's tokens) stays here. Signing out deletes the ticket, so a copy of the cookie opens nothing
/// afterwards. Tickets are protected with Data Protection before they are stored (they carry the provider's tokens)
/// and stored until they expire.
/// </summary>
public sealed class SessionTickets(ISessionItems items, IDataProtectionProvider protection) : ITicketStore
{
    private readonly IDataProtector _protector = protection.CreateProtector("ImageMeta.Web.SessionTickets");

    public async Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        await RenewAsync(key, ticket);
        return key;
    }

    public Task RenewAsync(string key, AuthenticationTicket ticket)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        var expires = ticket.Properties.ExpiresUtc ?? DateTimeOffset.UtcNow.AddHours(1);
        return items.SaveAsync(key, _protector.Protect(TicketSerializer.Default.Serialize(ticket)), expires, CancellationToken.None);
    }

    public async Task<AuthenticationTicket?> RetrieveAsync(string key)
    {
        if (await items.GetAsync(key, CancellationToken.None) is not { } stored)
        {
            return null;
        }

        try
        {
            return TicketSerializer.Default.Deserialize(_protector.Unprotect(stored));
        }
        catch (CryptographicException)
        {
            // Protected with a key this ring no longer has: the session is over.
            return null;
        }
    }

    public Task RemoveAsync(string key) => items.DeleteAsync(key, CancellationToken.None);
}

/// <summary>Where <see cref="SessionTickets"/> keeps its bytes.</summary>
public interface ISessionItems
{
    Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Stores the item until <paramref name="expires"/>, replacing one with the same key.</summary>
    Task SaveAsync(string key, byte[] value, DateTimeOffset expires, CancellationToken cancellationToken);

    Task DeleteAsync(string key, CancellationToken cancellationToken);
}

/// <summary>
/// Sessions in a Dapr state store (<see cref="WebOptions.StateStore"/>), shared by every replica; each item carries a
/// TTL (<c>ttlInSeconds</c>, docs.dapr.io "State Time-to-Live") so the store drops it when the session would end anyway.
/// </summary>
public sealed class StateStoreSessionItems(DaprClient dapr, string storeName, TimeProvider clock) : ISessionItems
{
    private const string Prefix = "session-";

    public Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<byte[]?>(storeName, Prefix + key, ConsistencyMode.Strong, cancellationToken: cancellationToken);

    public Task SaveAsync(string key, byte[] value, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        var ttl = (long)Math.Ceiling(Math.Max(1, (expires - clock.GetUtcNow()).TotalSeconds));
        return dapr.SaveStateAsync(storeName, Prefix + key, value, metadata: new Dictionary<string, string> { ["ttlInSeconds"] = ttl.ToString(System.Globalization.CultureInfo.InvariantCulture) }, cancellationToken: cancellationToken);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        dapr.DeleteStateAsync(storeName, Prefix + key, cancellationToken: cancellationToken);
}

/// <summary>Sessions in this process's memory: the local profile runs one web process (a restart signs everyone out).</summary>
public sealed class MemorySessionItems(IMemoryCache cache) : ISessionItems
{
    public Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken) =>
        Task.FromResult(cache.TryGetValue<byte[]>(Name(key), out var value) ? value : null);

    public Task SaveAsync(string key, byte[] value, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(value);
        cache.Set(Name(key), value, new MemoryCacheEntryOptions { AbsoluteExpiration = expires, Size = value.Length });
        return Task.CompletedTask;
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        cache.Remove(Name(key));
        return Task.CompletedTask;
    }

    private static string Name(string key) => "imagemeta-session:" + key;
}

/// <summary>Registers the session store the cookie handler uses.</summary>
public static class SessionTicketsRegistration
{
    public static IServiceCollection AddSessionTickets(this IServiceCollection services, WebOptions web)
    {
        ArgumentNullException.ThrowIfNull(web);
        if (web.StateStore is { Length: > 0 } store)
        {
            services.AddSingleton<ISessionItems>(sp => new StateStoreSessionItems(sp.GetRequiredService<DaprClient>(), store, sp.GetService<TimeProvider>() ?? TimeProvider.System));
        }
        else
        {
            services.AddMemoryCache();
            services.AddSingleton<ISessionItems, MemorySessionItems>();
        }

        services.AddSingleton<SessionTickets>();
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<SessionTickets>((cookie, tickets) => cookie.SessionStore = tickets);
        return services;
    }
}
