using System.Collections.Concurrent;

namespace ImageMeta.Testing.Dapr;

/// <summary>One service invocation as a sidecar double forwarded it (or failed to).</summary>
/// <param name="CallerAppId">The app whose sidecar received the call.</param>
/// <param name="TargetAppId">The app id the call named.</param>
/// <param name="Verb">HTTP verb used on the target app.</param>
/// <param name="Method">The method path on the target app, without the leading slash and query.</param>
/// <param name="StatusCode">The status the caller got: the target's own status, or 500 when it could not be reached.</param>
/// <param name="TraceParent">The <c>traceparent</c> forwarded to the target, when the caller sent one.</param>
/// <param name="At">When the call finished.</param>
public sealed record InvocationRecord(
    string CallerAppId,
    string TargetAppId,
    string Verb,
    string Method,
    int StatusCode,
    string? TraceParent,
    DateTimeOffset At);

/// <summary>Every invocation forwarded by the doubles of one <see cref="SidecarNetwork"/>, for assertions.</summary>
public sealed class InvocationLog
{
    private readonly ConcurrentQueue<InvocationRecord> _records = new();

    public void Add(InvocationRecord record) => _records.Enqueue(record);

    /// <summary>A snapshot, in completion order.</summary>
    public IReadOnlyList<InvocationRecord> All => [.. _records];

    /// <summary>Invocations of one target app whose method starts with <paramref name="methodPrefix"/>.</summary>
    public IReadOnlyList<InvocationRecord> To(string targetAppId, string methodPrefix = "") =>
        [.. _records.Where(r => r.TargetAppId == targetAppId && r.Method.StartsWith(methodPrefix, StringComparison.Ordinal))];
}
