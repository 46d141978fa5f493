using System.Xml.Linq;
using Dapr.Client;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace ImageMeta.Web.Service.KeyRing;

/// <summary>
/// The Data Protection key ring as one item of a Dapr state store, so every web replica reads the keys another wrote
/// and a restart keeps them: a cookie (the sign-in correlation, the session, antiforgery) protected by one replica is
/// read by the next. ASP.NET Core ships repositories for Redis, EF Core and Azure Blob Storage; the Azure package
/// (<c>Azure.Extensions.AspNetCore.DataProtection.Blobs</c>) is not on the package feed this project builds from, and
/// the others would add a database client the app otherwise never needs. The state store is already there, behind the
/// sidecar (the <c>webstate</c> component on Kubernetes).
/// <para>
/// The keys are few (one new key every 90 days, old ones kept), so the ring is one item holding each key's XML.
/// Writes are read-modify-write with the item's ETag (first-write-wins, also for the first key of an empty store), so
/// two replicas adding a key at once both land. <see cref="IXmlRepository"/> is synchronous, so the calls block; Data
/// Protection makes them rarely (at start, at the daily refresh, when it creates a key).
/// </para>
/// </summary>
public sealed partial class StateStoreXmlRepository(DaprClient dapr, string storeName, ILogger<StateStoreXmlRepository> logger) : IXmlRepository
{
    /// <summary>The state key of the ring (the sidecar prefixes it with the app id).</summary>
    public const string Key = "dataprotection-keyring";

    /// <summary>Writes lost to another replica's are tried again this many times before the key is given up.</summary>
    private const int MaxWriteAttempts = 20;

    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite, Consistency = ConsistencyMode.Strong };

    public IReadOnlyCollection<XElement> GetAllElements() =>
        [.. Read().Ring.Keys.Select(x => XElement.Parse(x))];

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        var xml = element.ToString(SaveOptions.DisableFormatting);
        for (var attempt = 1; attempt <= MaxWriteAttempts; attempt++)
        {
            var (ring, etag) = Read();
            var saved = dapr.TrySaveStateAsync(storeName, Key, new KeyRingItem([.. ring.Keys, xml]), etag, FirstWrite).GetAwaiter().GetResult();
            // First-write on an absent item is an insert on the stores the deployment names (state.postgresql,
            // state.sqlserver, state.sqlite), so two replicas' first keys cannot replace each other. The read back
            // is a check that the write is what the store now holds; a store that ignored first-write there
            // (last-write-wins) could still lose a key written at the same moment, so webstate must not be one.
            if (saved && Read().Ring.Keys.Contains(xml))
            {
                LogStored(logger, friendlyName, storeName, ring.Keys.Count + 1);
                return;
            }
        }

        throw new InvalidOperationException($"The key ring in state store '{storeName}' changed under every one of {MaxWriteAttempts} writes; key {friendlyName} was not stored.");
    }

    private (KeyRingItem Ring, string ETag) Read()
    {
        var (ring, etag) = dapr.GetStateAndETagAsync<KeyRingItem>(storeName, Key, ConsistencyMode.Strong).GetAwaiter().GetResult();
        return (ring ?? new KeyRingItem([]), etag ?? string.Empty);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored Data Protection key {FriendlyName} in state store {Store}; the ring holds {Count} keys")]
    private static partial void LogStored(ILogger logger, string friendlyName, string store, int count);

    /// <summary>The stored item: each key's XML element, as Data Protection wrote it (encrypted when a certificate is set).</summary>
    public sealed record KeyRingItem(IReadOnlyList<string> Keys);
}
