using System.Globalization;
using ImageMeta.Testing.Dapr;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImageMeta.Testing.Hosting;

/// <summary>
/// One service (its <c>Program</c>) in the test process, set up the one way every suite needs: configuration keys (a
/// sidecar double's <c>DAPR_*</c> variables among them, through <see cref="OnSidecar"/>), no Zipkin export, no console
/// logs unless asked, and service replacements. <see cref="WebApplicationFactory{TEntryPoint}.UseKestrel()"/> puts it on a
/// real loopback socket for the tests that need one (Kestrel's body-rate limits, clients that stall or go away).
/// </summary>
public sealed class ServiceHost<TProgram> : WebApplicationFactory<TProgram>
    where TProgram : class
{
    private readonly Dictionary<string, string?> _settings = new(StringComparer.OrdinalIgnoreCase) { ["Telemetry:ZipkinEndpoint"] = string.Empty };
    private readonly List<Action<IServiceCollection>> _services = [];
    private bool _logs;

    public ServiceHost(IEnumerable<KeyValuePair<string, string?>>? settings = null)
    {
        With(settings ?? []);
    }

    /// <summary>Points the service's Dapr clients at <paramref name="sidecar"/> (its HTTP and gRPC endpoints, app id and tokens).</summary>
    public ServiceHost<TProgram> OnSidecar(SidecarDouble sidecar)
    {
        ArgumentNullException.ThrowIfNull(sidecar);
        return With(sidecar.AppEnvironment().Select(e => new KeyValuePair<string, string?>(e.Key, e.Value)));
    }

    /// <summary>Sets configuration keys (later ones win); call before the host starts.</summary>
    public ServiceHost<TProgram> With(IEnumerable<KeyValuePair<string, string?>> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        foreach (var (key, value) in settings)
        {
            _settings[key] = value;
        }

        return this;
    }

    /// <summary>Sets one configuration key.</summary>
    public ServiceHost<TProgram> With(string key, string? value) => With([new(key, value)]);

    /// <summary>Sets one numeric configuration key.</summary>
    public ServiceHost<TProgram> With(string key, long value) => With(key, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>Changes the service's registrations after its own (replace a binding invoker, remove a hosted service).</summary>
    public ServiceHost<TProgram> WithServices(Action<IServiceCollection> configure)
    {
        _services.Add(configure);
        return this;
    }

    /// <summary>Keeps the service's console logs (off by default: they bury a failing test's output).</summary>
    public ServiceHost<TProgram> WithLogs()
    {
        _logs = true;
        return this;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (!_logs)
        {
            builder.ConfigureLogging(logging => logging.ClearProviders());
        }

        builder.ConfigureServices(services =>
        {
            foreach (var configure in _services)
            {
                configure(services);
            }
        });
    }
}
