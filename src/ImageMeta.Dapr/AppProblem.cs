using System.Text.Json;

namespace ImageMeta.Dapr;

/// <summary>
/// What another app, or the sidecar on its behalf, answered instead of success. Read once here for every caller:
/// <see cref="FailureClass"/> and <see cref="Detail"/> from the app's problem details, and whether the answer came from
/// daprd itself (<c>{"errorCode", "message"}</c>, as ERR_DIRECT_INVOKE) rather than from the app. Only a 4xx problem
/// the app wrote carries a detail meant for people; daprd's message and 5xx details stay out of
/// <see cref="Sentence"/> (they name internal addresses), and <see cref="AppCalls"/> logs them.
/// </summary>
public sealed record AppProblem(string AppId, int Status, string? FailureClass, string? Detail, bool FromSidecar)
{
    /// <summary>Reads the problem of a non-success answer (its body is buffered by <see cref="AppCalls"/>).</summary>
    public static async Task<AppProblem> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var appId = response.RequestMessage?.RequestUri?.Host is { Length: > 0 } host ? host : "app";
        var status = (int)response.StatusCode;
        try
        {
            using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            var root = body.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                var fromSidecar = root.TryGetProperty("errorCode", out _);
                var detail = status is >= 400 and < 500 && !fromSidecar ? Text(root, "detail") : null;
                return new AppProblem(appId, status, fromSidecar ? null : Text(root, Contracts.FailureClass.ProblemMember), detail, fromSidecar);
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's error page, an empty body): only the status says anything.
        }

        return new AppProblem(appId, status, null, null, FromSidecar: false);
    }

    /// <summary>Whether the app gave a verdict on the request itself that no retry can change: a 4xx with a permanent class.</summary>
    public bool IsPermanent => Status is >= 400 and < 500 && FailureClass is not null && Contracts.FailureClass.Permanent.Contains(FailureClass);

    /// <summary>A sentence safe for answers and stored messages: the app's own detail for a 4xx problem, else who answered what.</summary>
    public string Sentence => Detail ?? (FromSidecar
        ? $"The sidecar could not deliver the call to the {AppId} app ({Status})."
        : $"The {AppId} app answered {Status}.");

    /// <summary>The answer as an exception for callers that retry it.</summary>
    public AppUnavailableException ToException() => new(AppId, Sentence, Status, FailureClass);

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
