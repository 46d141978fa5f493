using System.Threading.RateLimiting;
using ImageMeta.Blobs;
using ImageMeta.Contracts;
using Microsoft.Extensions.Options;

namespace ImageMeta.Ingest;

/// <summary>
/// Learning a blob's version, within a bound. Where the binding has no versions of its own (local storage: the version
/// is the content's hash), describing a blob reads all of it; events and the sweep then share
/// <see cref="IngestOptions.VersionReadConcurrency"/> such reads at once (a <see cref="ConcurrencyLimiter"/> with a FIFO
/// queue), so ingest's memory follows that bound and not the number of events or sweep lanes. Each description has a
/// time limit (<see cref="IngestOptions.VersionReadTimeout"/>): a name that never answers (a FIFO in the folder blocks
/// the component's read forever) costs its caller that long and no more.
/// </summary>
public sealed class VersionReads(IBlobBinding blobs, IOptions<IngestOptions> options) : IDisposable
{
    private readonly ConcurrencyLimiter _reads = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = options.Value.VersionReadConcurrency,
        QueueLimit = int.MaxValue,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    /// <summary>Reads waiting for their turn now (a test hook, and a number worth logging).</summary>
    public long Waiting => _reads.GetStatistics()?.CurrentQueuedCount ?? 0;

    /// <summary>The blob's current version (see <see cref="IBlobBinding.DescribeAsync"/>).</summary>
    /// <exception cref="TimeoutException">No answer within the time limit.</exception>
    public async Task<BlobReference> DescribeAsync(string name, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Value.VersionReadTimeout);
        try
        {
            if (!blobs.DescribeReadsContent)
            {
                return await blobs.DescribeAsync(name, deadline.Token);
            }

            using var lease = await _reads.AcquireAsync(1, deadline.Token);
            return await blobs.DescribeAsync(name, deadline.Token);
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"'{name}' could not be read within {options.Value.VersionReadTimeout}.", e);
        }
    }

    public void Dispose() => _reads.Dispose();
}
