using System.Globalization;

namespace ImageMeta.Testing.Dapr;

/// <summary>
/// The data behind the doubles' state API, shared by every sidecar of a <see cref="SidecarNetwork"/> the way one
/// database is shared by every daprd whose component points at it. What it follows:
/// <list type="bullet">
/// <item>keys are stored as <c>&lt;app id&gt;||&lt;key&gt;</c> (docs.dapr.io "State management API reference", Key
/// scheme; the default <c>keyPrefix: appid</c> of "How-To: Share state between applications"), so replicas of one
/// app id share keys and other apps do not see them;</item>
/// <item>a missing key reads as no data and an empty ETag (same page, "Get state": 204 over HTTP, empty data over gRPC);</item>
/// <item>every write gives the item a new ETag; a write or delete that carries an ETag succeeds only if it is the
/// item's current one, and an ETag given for a missing item is a mismatch (docs.dapr.io "State management overview",
/// Concurrency: first-write-wins with ETags; components-contrib state/postgresql and state/sqlite update with
/// <c>WHERE etag = $n</c> and report ETagMismatch when no row changed); a write without an ETag is last-write-wins,
/// unless it asks for first-write concurrency: then it only creates the item, and an existing one is an ETag mismatch
/// (components-contrib state/postgresql v2 upserts with <c>WHERE</c> the row has expired, state/sqlite inserts
/// <c>WHERE NOT EXISTS</c>, state/sqlserver passes <c>FirstWrite = 1</c> to its upsert; each reports ETagMismatch when
/// no row changed).</item>
/// </list>
/// Test code only.
/// </summary>
public sealed class StateStoreDouble
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Store, string Key), (byte[] Value, string ETag)> _items = [];
    private long _version;

    /// <summary>Thrown when a write's ETag is not the item's current one.</summary>
    public sealed class ETagMismatchException(string message) : Exception(message);

    public (byte[]? Value, string ETag) Get(string store, string appId, string key)
    {
        lock (_gate)
        {
            return _items.TryGetValue((store, Scoped(appId, key)), out var item) ? (item.Value, item.ETag) : (null, string.Empty);
        }
    }

    /// <summary>
    /// Writes an item; <paramref name="etag"/> null or empty means last-write-wins, or create-only with
    /// <paramref name="firstWrite"/>.
    /// </summary>
    public void Save(string store, string appId, string key, byte[] value, string? etag, bool firstWrite = false)
    {
        lock (_gate)
        {
            var scoped = (store, Scoped(appId, key));
            Check(scoped, etag);
            if (firstWrite && string.IsNullOrEmpty(etag) && _items.ContainsKey(scoped))
            {
                throw new ETagMismatchException($"possible etag mismatch. error from state store: key {scoped.Item2} exists and the write has no etag under first-write concurrency");
            }

            _items[scoped] = (value, (++_version).ToString(CultureInfo.InvariantCulture));
        }
    }

    public void Delete(string store, string appId, string key, string? etag)
    {
        lock (_gate)
        {
            var scoped = (store, Scoped(appId, key));
            Check(scoped, etag);
            _items.Remove(scoped);
        }
    }

    /// <summary>Every key of a store, with its app-id prefix (for assertions).</summary>
    public IReadOnlyList<string> Keys(string store)
    {
        lock (_gate)
        {
            return [.. _items.Keys.Where(k => k.Store == store).Select(k => k.Key)];
        }
    }

    private void Check((string Store, string Key) scoped, string? etag)
    {
        if (string.IsNullOrEmpty(etag))
        {
            return;
        }

        if (!_items.TryGetValue(scoped, out var current) || current.ETag != etag)
        {
            throw new ETagMismatchException($"possible etag mismatch. error from state store: etag {etag} does not match for key {scoped.Key}");
        }
    }

    private static string Scoped(string appId, string key) => $"{appId}||{key}";
}
