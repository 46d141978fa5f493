using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr.Pipeline;

namespace ImageMeta.EndToEnd.Tests;

/// <summary>
/// The README's round trip, shared by the smoke test (doubles) and the real-Dapr test:
/// <c>POST /images</c> → <c>GET /images/{id}/status</c> until the workflow completed → store <c>GET /images/{id}</c> and <c>GET /images?...</c> list it.
/// </summary>
public static class RoundTrip
{
    public static async Task RunAsync(PipelineClient client, string name, byte[] content, string recentOutputOnFailure)
    {
        var upload = await client.UploadAsync(name, content);
        Assert.NotNull(upload.StatusLocation);
        Assert.EndsWith($"/images/{upload.Id}/status", upload.StatusLocation!.AbsolutePath, StringComparison.Ordinal);

        // Status until the workflow has completed: bounded, not timed.
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        string? last = null;
        while (DateTime.UtcNow < deadline)
        {
            using var status = await client.GetStatusAsync(upload.Id);
            last = status.RootElement.GetRawText();
            if (TestEnvironment.StatusSaysCompleted(status.RootElement))
            {
                break;
            }

            await Task.Delay(250);
        }

        Assert.True(last is not null && TestEnvironment.StatusSaysCompleted(System.Text.Json.JsonDocument.Parse(last).RootElement),
            $"status never reported completion; last: {last}\n{recentOutputOnFailure}");

        var record = await client.GetRecordAsync(upload.Id);
        Assert.NotNull(record);
        Assert.Equal(ImageStatus.Succeeded, record!.Status);
        Assert.Equal(name, record.Blob.Name);

        using var page = await client.QueryAsync($"sha256={TestEnvironment.Sha256(content)}&limit=50");
        Assert.Contains(TestEnvironment.Items(page.RootElement), item => item.GetProperty("id").GetString() == upload.Id.Value);
    }
}
