using System.ComponentModel.DataAnnotations;

namespace ImageMeta.Dapr;

/// <summary>Limits of the calls to one app (named options, the name is the app id; see <see cref="AppCalls.AddAppCalls"/>).</summary>
public sealed class AppCallOptions
{
    /// <summary>Default of <see cref="Deadline"/>.</summary>
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(30);

    /// <summary>Default of <see cref="MaxAnswerBytes"/>: far above any JSON answer between the apps.</summary>
    public const long DefaultMaxAnswerBytes = 16L * 1024 * 1024;

    /// <summary>How long one call may take, its answer's body included; past it the call fails with <see cref="AppUnavailableException"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.01", "01:00:00")]
    public TimeSpan Deadline { get; set; } = DefaultDeadline;

    /// <summary>Largest answer body read; a longer one fails the call (the apps answer each other in small JSON).</summary>
    [Range(1, int.MaxValue)]
    public long MaxAnswerBytes { get; set; } = DefaultMaxAnswerBytes;
}
