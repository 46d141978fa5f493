using ImageMeta.Testing.Hosting;
using ImageMeta.Testing.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImageMeta.Extractor.Tests;

/// <summary>
/// The extractor behind real Kestrel on loopback, spoken to over a raw socket so the body can really
/// trickle: Kestrel's refusal for a body below <c>MinRequestBodyDataRate</c> answers 408, not a 500.
/// </summary>
public sealed class RequestRefusalTests : IDisposable
{
    private readonly CapturedLogs _logs = new();
    private readonly WebApplicationFactory<Program> _factory;

    public RequestRefusalTests()
    {
        _factory = new ServiceHost<Program>()
            .With("Blobs:LocalRootPath", LocalStorageInvokerFake.Root)
            .With("urls", "http://127.0.0.1:0")
            .WithServices(services => services.AddLogging(logging => logging.AddProvider(_logs)));
        _factory.UseKestrel(0);
        _factory.StartServer();
    }

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task A_body_sent_at_one_byte_a_second_answers_408_problem_details()
    {
        var address = RawHttpExchange.ServerAddress(_factory.Services);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var exchange = await RawHttpExchange.ConnectAsync(address, bound.Token);
        const int declared = 100_000;
        var head = $"POST /extract/content HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: application/octet-stream\r\nContent-Length: {declared}\r\n\r\n";
        Assert.True(await exchange.TrySendAsync(head, bound.Token));

        // One byte a second until the server answers (Kestrel's minimum rate is 240 B/s after a 5 s grace).
        var reading = exchange.ReadAnswerAsync(bound.Token);
        for (var sent = 0; sent < declared && !reading.IsCompleted; sent++)
        {
            if (!await exchange.TrySendAsync(new byte[] { 0x89 }, bound.Token))
            {
                break; // The server closed the connection after answering.
            }

            await Task.WhenAny(reading, Task.Delay(TimeSpan.FromSeconds(1), bound.Token));
        }

        var answer = await reading;
        Assert.StartsWith("HTTP/1.1 408", answer, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", answer, StringComparison.Ordinal);

        // The caller's doing: one line saying so, and no exception (stack trace) in any entry.
        Assert.Single(_logs.Entries, e => e.Message.Contains("refused with 408", StringComparison.Ordinal));
        Assert.DoesNotContain(_logs.Entries, e => e.Exception is not null);
    }
}
