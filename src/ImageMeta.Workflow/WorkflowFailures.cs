using ImageMeta.Workflow.Protocol;

namespace ImageMeta.Workflow;

/// <summary>Why a task (activity) or a workflow failed, as the sidecar records it.</summary>
public sealed record WorkflowTaskFailureDetails(string ErrorType, string ErrorMessage, string? StackTrace = null, bool IsNonRetriable = false)
{
    /// <summary>True when the failure was raised by an exception of type <typeparamref name="T"/> (by full type name).</summary>
    public bool IsCausedBy<T>()
        where T : Exception => ErrorType == typeof(T).FullName;

    internal static WorkflowTaskFailureDetails From(TaskFailureDetails? details) => details is null
        ? new("Unknown", "The sidecar reported a failure without details.")
        : new(details.ErrorType, details.ErrorMessage, details.StackTrace, details.IsNonRetriable);

    internal static TaskFailureDetails ToWire(Exception exception) => new()
    {
        ErrorType = exception is NonRetriableActivityException nonRetriable ? nonRetriable.ErrorType : exception.GetType().FullName ?? exception.GetType().Name,
        ErrorMessage = exception.Message,
        StackTrace = exception.StackTrace,
        IsNonRetriable = exception is NonRetriableActivityException,
        InnerFailure = exception.InnerException is { } inner ? ToWire(inner) : null,
    };
}

/// <summary>Thrown inside a workflow when an activity it awaited failed (after any retries).</summary>
public sealed class WorkflowTaskFailedException : Exception
{
    public WorkflowTaskFailedException(string message, WorkflowTaskFailureDetails failureDetails)
        : base(message) => FailureDetails = failureDetails;

    public WorkflowTaskFailedException()
        : this("A workflow task failed.", new WorkflowTaskFailureDetails("Unknown", "unknown"))
    {
    }

    public WorkflowTaskFailedException(string message)
        : this(message, new WorkflowTaskFailureDetails("Unknown", message))
    {
    }

    public WorkflowTaskFailedException(string message, Exception innerException)
        : base(message, innerException) => FailureDetails = new(innerException.GetType().FullName ?? "Unknown", innerException.Message);

    public WorkflowTaskFailureDetails FailureDetails { get; }
}

/// <summary>
/// Thrown by an activity for a failure that no retry can fix (bad input). The workflow's retry policy
/// does not retry it; the workflow sees a <see cref="WorkflowTaskFailedException"/> whose details carry
/// <see cref="ErrorType"/> and <c>IsNonRetriable = true</c>.
/// </summary>
public sealed class NonRetriableActivityException : Exception
{
    public NonRetriableActivityException(string errorType, string message)
        : base(message) => ErrorType = errorType;

    public NonRetriableActivityException()
        : this("NonRetriable", "The activity failed permanently.")
    {
    }

    public NonRetriableActivityException(string message)
        : this("NonRetriable", message)
    {
    }

    public NonRetriableActivityException(string message, Exception innerException)
        : base(message, innerException) => ErrorType = "NonRetriable";

    /// <summary>A short, stable name for the kind of failure (for example <c>ExtractionFailure.corrupt</c>).</summary>
    public string ErrorType { get; }
}

/// <summary>
/// The workflow code asked for something other than what its history records (a different activity,
/// a timer instead of an activity, ...). The instance fails with this error rather than continue on a
/// history that no longer matches the code.
/// </summary>
public sealed class NonDeterministicWorkflowException : Exception
{
    public NonDeterministicWorkflowException(string message)
        : base(message)
    {
    }

    public NonDeterministicWorkflowException()
        : this("The workflow's code does not match its history.")
    {
    }

    public NonDeterministicWorkflowException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
