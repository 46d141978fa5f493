using System.Diagnostics.Metrics;

namespace ImageMeta.Store;

/// <summary>
/// The store's instruments (meter <c>ImageMeta.Store</c>): what each upsert did, how long each kind of database
/// operation takes, and how often the database could not be reached. Operation kinds are the store's own method
/// names (<c>upsert</c>, <c>get</c>, <c>query</c>, …), a small fixed set.
/// </summary>
public sealed class StoreMetrics : IDisposable
{
    public const string MeterName = "ImageMeta.Store";

    /// <summary>OpenTelemetry's database attribute for the operation's name.</summary>
    public const string OperationTag = "db.operation.name";

    /// <summary>What an upsert did: <c>inserted</c>, <c>updated</c>, <c>unchanged</c>, <c>superseded</c> or <c>deleted</c>.</summary>
    public const string UpsertOutcomeTag = "imagemeta.upsert.outcome";

    private readonly Meter _meter;

    public StoreMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        Upserts = _meter.CreateCounter<long>("imagemeta.store.upserts", "{record}", "Records written or found current, by outcome.");
        // Database round trips take milliseconds; the bounds reach a few seconds for a slow query under load.
        OperationDuration = _meter.CreateHistogram("imagemeta.store.operation.duration", "s", "Time of one store operation against the database, by operation.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        Unavailable = _meter.CreateCounter<long>("imagemeta.store.database.unavailable", "{operation}", "Operations that failed because the database could not be reached or answered with an error, by operation.");
    }

    public Counter<long> Upserts { get; }

    public Histogram<double> OperationDuration { get; }

    public Counter<long> Unavailable { get; }

    /// <summary>The operation name of a store method: <c>UpsertAsync</c> becomes <c>upsert</c>.</summary>
    public static string OperationName(string method) =>
        (method.EndsWith("Async", StringComparison.Ordinal) ? method[..^"Async".Length] : method).ToLowerInvariant();

    public void RecordUpsert(UpsertOutcome outcome) =>
        Upserts.Add(1, new KeyValuePair<string, object?>(UpsertOutcomeTag, outcome switch
        {
            UpsertOutcome.Inserted => "inserted",
            UpsertOutcome.Updated => "updated",
            UpsertOutcome.Superseded => "superseded",
            UpsertOutcome.Deleted => "deleted",
            _ => "unchanged",
        }));

    public void Dispose() => _meter.Dispose();
}
