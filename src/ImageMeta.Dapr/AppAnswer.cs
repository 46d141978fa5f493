using System.Net.Http.Json;
using System.Text.Json;
using ImageMeta.Contracts;

namespace ImageMeta.Dapr;

/// <summary>Reads another app's JSON answer in the contract shape (<see cref="ContractJson"/>).</summary>
public static class AppAnswer
{
    /// <summary>
    /// The body of a success as <typeparamref name="T"/>. Anything else is no usable answer and throws
    /// <see cref="AppUnavailableException"/>: a non-success (with <see cref="AppProblem.Sentence"/>), an empty body, or
    /// JSON of another shape.
    /// </summary>
    public static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!response.IsSuccessStatusCode)
        {
            throw (await AppProblem.ReadAsync(response, cancellationToken)).ToException();
        }

        var app = response.RequestMessage?.RequestUri?.Host ?? "app";
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(ContractJson.Options, cancellationToken)
                ?? throw new AppUnavailableException(app, $"The {app} app answered success with an empty body.", (int)response.StatusCode);
        }
        catch (JsonException)
        {
            throw new AppUnavailableException(app, $"The {app} app answered success with a body that is not the expected JSON.", (int)response.StatusCode);
        }
    }
}
