using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace ImageMeta.Contracts;

/// <summary>
/// Either a value or the <see cref="ProcessingFailure"/> that says why there is none; never both, never neither. The one
/// shape of every "value or failure" answer (an extraction, a thumbnail, a workflow activity's outcome), serialized as
/// <c>{"value": …}</c> or <c>{"failure": {"class", "message"}}</c>.
/// </summary>
/// <typeparam name="T">The value's type.</typeparam>
public sealed record Outcome<T>
    where T : class
{
    [JsonConstructor]
    public Outcome(T? value, ProcessingFailure? failure)
    {
        if ((value is null) == (failure is null))
        {
            throw new ArgumentException("An outcome holds exactly one of a value and a failure.", nameof(value));
        }

        Value = value;
        Failure = failure;
    }

    public T? Value { get; }

    public ProcessingFailure? Failure { get; }

    [JsonIgnore]
    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool Succeeded => Value is not null;

    /// <summary>The same failure as an outcome of another type (a failed step passes its reason on).</summary>
    public Outcome<TOther> FailureAs<TOther>()
        where TOther : class => Succeeded ? throw new InvalidOperationException("The outcome succeeded.") : Outcome.Fail<TOther>(Failure);
}

/// <summary>Makes <see cref="Outcome{T}"/> values.</summary>
public static class Outcome
{
    public static Outcome<T> Success<T>(T value)
        where T : class => new(value ?? throw new ArgumentNullException(nameof(value)), null);

    public static Outcome<T> Fail<T>(ProcessingFailure failure)
        where T : class => new(null, failure ?? throw new ArgumentNullException(nameof(failure)));

    public static Outcome<T> Fail<T>(string failureClass, string message)
        where T : class => Fail<T>(new ProcessingFailure(failureClass, message));
}
