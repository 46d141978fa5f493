using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace ImageMeta.Testing.Http;

/// <summary>
/// One HTTP/1.1 exchange over a raw loopback socket, for tests that must send what HttpClient will not (a body
/// that trickles, a body announced but never sent) and read the answer a server gives before it closes.
/// </summary>
public sealed class RawHttpExchange : IDisposable
{
    private readonly TcpClient _socket;

    private RawHttpExchange(TcpClient socket) => _socket = socket;

    /// <summary>The first address a started server (real Kestrel) listens on.</summary>
    public static Uri ServerAddress(IServiceProvider services) =>
        new(services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());

    public static async Task<RawHttpExchange> ConnectAsync(Uri address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        var socket = new TcpClient();
        try
        {
            await socket.ConnectAsync(address.Host, address.Port, cancellationToken);
            return new RawHttpExchange(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends bytes; false when the server has closed the connection (it answered and stopped reading).</summary>
    public async Task<bool> TrySendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        try
        {
            await _socket.GetStream().WriteAsync(bytes, cancellationToken);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Sends ASCII text (a request line and headers).</summary>
    public Task<bool> TrySendAsync(string text, CancellationToken cancellationToken) =>
        TrySendAsync(Encoding.ASCII.GetBytes(text), cancellationToken);

    /// <summary>
    /// The answer as text: read until the server closes the connection, or until the headers and a whole JSON
    /// object have arrived (a problem-details answer), whichever comes first.
    /// </summary>
    public async Task<string> ReadAnswerAsync(CancellationToken cancellationToken)
    {
        var answer = new StringBuilder();
        var buffer = new byte[4096];
        while (true)
        {
            int read;
            try
            {
                read = await _socket.GetStream().ReadAsync(buffer, cancellationToken);
            }
            catch (IOException)
            {
                break;
            }

            if (read == 0)
            {
                break;
            }

            answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
            var text = answer.ToString();
            var headersEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (headersEnd >= 0 && IsWholeJsonObject(text.AsSpan(headersEnd)))
            {
                break;
            }
        }

        return answer.ToString();
    }

    /// <summary>Whether the body holds an object whose braces balance (problem details carry no braces in strings).</summary>
    private static bool IsWholeJsonObject(ReadOnlySpan<char> body)
    {
        var opened = body.Count('{');
        return opened > 0 && opened == body.Count('}');
    }

    public void Dispose() => _socket.Dispose();
}
