namespace ImageMeta.Dapr;

/// <summary>
/// A call to another app did not get a usable answer: the sidecar or the app could not be reached, the deadline
/// passed, or the app answered with an error that is not a permanent verdict on the request. The message is a sentence
/// safe to show and to store (which app, what happened); the sidecar's or the app's own text, which can carry internal
/// addresses, is only in the log that <see cref="AppCalls"/> writes when the call fails.
/// </summary>
public sealed class AppUnavailableException : Exception
{
    public AppUnavailableException(string appId, string message, int? status = null, string? failureClass = null)
        : base(message)
    {
        AppId = appId;
        Status = status;
        FailureClass = failureClass;
    }

    /// <summary>The app that was called.</summary>
    public string AppId { get; }

    /// <summary>The HTTP status of the answer; null when there was none (unreachable, deadline).</summary>
    public int? Status { get; }

    /// <summary>The <c>failureClass</c> the answer's problem carried, if any.</summary>
    public string? FailureClass { get; }
}
