using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace ImageMeta.Store.Tests;

/// <summary>
/// The store behind real Kestrel on loopback (the test server enforces no body limits): Kestrel's own
/// refusals answer their status as problem details, not a 500.
/// </summary>
public sealed class RequestRefusalTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("imagemeta-store-refusal-").FullName;
    private readonly WebApplicationFactory<Program> _factory;

    public RequestRefusalTests()
    {
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(host =>
        {
            host.UseSetting("Telemetry:ZipkinEndpoint", string.Empty);
            host.UseSetting("Store:DataDirectory", _folder);
            host.UseSetting("urls", "http://127.0.0.1:0");
        });
        _factory.UseKestrel(0);
        _factory.StartServer();
    }

    public void Dispose()
    {
        _factory.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_put_body_over_the_limit_answers_413_problem_details()
    {
        var address = _factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(60) };
        // 50 MB of JSON-looking bytes, over Kestrel's default 30 MB body limit.
        var body = new byte[50 * 1024 * 1024];
        body.AsSpan().Fill((byte)' ');
        body[0] = (byte)'{';

        using var response = await client.PutAsync($"/images/{new string('a', ImageMeta.Contracts.ImageId.Length)}", new ByteArrayContent(body) { Headers = { { "Content-Type", "application/json" } } });

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(413, problem.RootElement.GetProperty("status").GetInt32());
    }
}
