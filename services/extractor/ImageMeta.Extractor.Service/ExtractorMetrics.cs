using System.Diagnostics;
using System.Diagnostics.Metrics;
using ImageMeta.Contracts;
using ImageMeta.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ImageMeta.Extractor.Service;

/// <summary>
/// The extractor's instruments (meter <c>ImageMeta.Extractor</c>): how long an extraction takes, how many bytes it
/// read, what failed and why, which formats came through, and how long a thumbnail takes. Extraction answers are
/// recorded by <see cref="TimedAnswerFilter"/> on the extract and thumbnail routes, so the handlers stay free of measuring code.
/// </summary>
public sealed class ExtractorMetrics : IDisposable
{
    public const string MeterName = "ImageMeta.Extractor";

    private readonly Meter _meter;

    public ExtractorMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        Duration = _meter.CreateHistogram("imagemeta.extractor.extraction.duration", "s",
            "Time to answer one extraction request, by outcome (error.type set on failures).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricConventions.SecondsBuckets });
        BytesRead = _meter.CreateCounter<long>("imagemeta.extractor.read.size", "By", "Bytes of the images extracted successfully.");
        Failures = _meter.CreateCounter<long>("imagemeta.extractor.failures", "{image}", "Extractions that produced no metadata, by failure class (error.type).");
        Extracted = _meter.CreateCounter<long>("imagemeta.extractor.extracted", "{image}", "Extractions that produced metadata, by detected format.");
        ThumbnailDuration = _meter.CreateHistogram("imagemeta.extractor.thumbnail.duration", "s",
            "Time to make and store one thumbnail, by outcome (error.type set on failures).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricConventions.SecondsBuckets });
    }

    public Histogram<double> Duration { get; }

    public Counter<long> BytesRead { get; }

    public Counter<long> Failures { get; }

    public Counter<long> Extracted { get; }

    /// <summary>
    /// Recorded by the thumbnail route's filter (<see cref="RecordThumbnail"/>), with <c>error.type</c> = the failure
    /// class when it fails.
    /// </summary>
    public Histogram<double> ThumbnailDuration { get; }

    /// <summary>Records one extraction answer: its duration, and its format and size or its failure class.</summary>
    public void RecordExtraction(object? result, TimeSpan elapsed)
    {
        switch ((result as INestedHttpResult)?.Result ?? result)
        {
            case Ok<ImageMetadata> { Value: { } metadata }:
                Duration.Record(elapsed.TotalSeconds);
                BytesRead.Add(metadata.ByteSize);
                Extracted.Add(1, new KeyValuePair<string, object?>(MetricConventions.Format, metadata.Format));
                break;
            case ProblemHttpResult problem:
                var failure = FailureClassOf(problem);
                Duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>(MetricConventions.ErrorType, failure));
                Failures.Add(1, new KeyValuePair<string, object?>(MetricConventions.ErrorType, failure));
                break;
        }
    }

    /// <summary>
    /// Records one analysis answer as an extraction (duration, format and size, or the failure class) and a thumbnail
    /// (the same duration, with the thumbnail's failure class when it has one).
    /// </summary>
    public void RecordAnalysis(object? result, TimeSpan elapsed)
    {
        if (((result as INestedHttpResult)?.Result ?? result) is not Ok<ImageAnalysis> { Value: { } analysis })
        {
            RecordExtraction(result, elapsed);
            RecordThumbnail(result, elapsed);
            return;
        }

        if (analysis.Metadata is { } metadata)
        {
            Duration.Record(elapsed.TotalSeconds);
            BytesRead.Add(metadata.ByteSize);
            Extracted.Add(1, new KeyValuePair<string, object?>(MetricConventions.Format, metadata.Format));
        }
        else if (analysis.Failure is { } failure)
        {
            Duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>(MetricConventions.ErrorType, failure.Class));
            Failures.Add(1, new KeyValuePair<string, object?>(MetricConventions.ErrorType, failure.Class));
        }

        if (analysis.ThumbnailFailure is { } thumbnailFailure)
        {
            ThumbnailDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>(MetricConventions.ErrorType, thumbnailFailure.Class));
        }
        else
        {
            ThumbnailDuration.Record(elapsed.TotalSeconds);
        }
    }

    /// <summary>Records one thumbnail answer: its duration, with the failure class when it failed.</summary>
    public void RecordThumbnail(object? result, TimeSpan elapsed)
    {
        if (((result as INestedHttpResult)?.Result ?? result) is ProblemHttpResult problem)
        {
            ThumbnailDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>(MetricConventions.ErrorType, FailureClassOf(problem)));
        }
        else
        {
            ThumbnailDuration.Record(elapsed.TotalSeconds);
        }
    }

    public void Dispose() => _meter.Dispose();

    /// <summary>
    /// The class from the problem's <c>failureClass</c> member. Answers without one (a malformed request) count as
    /// <c>_OTHER</c>, the semantic conventions' value for a failure outside the known set, so the label stays bounded.
    /// </summary>
    private static string FailureClassOf(ProblemHttpResult problem) =>
        problem.ProblemDetails.Extensions.TryGetValue(FailureClass.ProblemMember, out var value) && value is string { Length: > 0 } failure
            ? failure
            : "_OTHER";
}

/// <summary>
/// Times a route's handler and records its answer in <see cref="ExtractorMetrics"/>: one filter for the extract and
/// thumbnail routes, each naming what it records.
/// </summary>
public sealed class TimedAnswerFilter(ExtractorMetrics metrics, Action<ExtractorMetrics, object?, TimeSpan> record) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await next(context);
        record(metrics, result, Stopwatch.GetElapsedTime(started));
        return result;
    }

    /// <summary>A filter factory for a route group, resolving the metrics from the request's services.</summary>
    public static Func<EndpointFilterInvocationContext, EndpointFilterDelegate, ValueTask<object?>> For(Action<ExtractorMetrics, object?, TimeSpan> record) =>
        (context, next) => new TimedAnswerFilter(context.HttpContext.RequestServices.GetRequiredService<ExtractorMetrics>(), record).InvokeAsync(context, next);
}
