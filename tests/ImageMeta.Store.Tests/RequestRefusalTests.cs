using System.Text.Json;
using ImageMeta.Contracts;
using ImageMeta.Testing.Hosting;
using ImageMeta.Testing.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;

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
        _factory = new ServiceHost<Program>().With("Store:DataDirectory", _folder).With("urls", "http://127.0.0.1:0").WithLogs();
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
        var address = RawHttpExchange.ServerAddress(_factory.Services);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var exchange = await RawHttpExchange.ConnectAsync(address, bound.Token);

        // A 50 MB body announced (over Kestrel's default 30 MB limit) and its first bytes sent: Kestrel refuses
        // from the length on the first read, so the rest need not follow (HttpClient would fail on the closed pipe).
        var head = $"PUT /images/{new string('a', ImageId.Length)} HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: application/json\r\nContent-Length: {50 * 1024 * 1024}\r\n\r\n{{\"name\": \"";
        Assert.True(await exchange.TrySendAsync(head, bound.Token));

        var text = await exchange.ReadAnswerAsync(bound.Token);
        Assert.StartsWith("HTTP/1.1 413", text, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/problem+json", text, StringComparison.OrdinalIgnoreCase);
        // The body comes chunked: the JSON is between the first '{' and the last '}'.
        using var problem = JsonDocument.Parse(text[text.IndexOf('{', StringComparison.Ordinal)..(text.LastIndexOf('}') + 1)]);
        Assert.Equal(413, problem.RootElement.GetProperty("status").GetInt32());
    }
}
