using System.Net;
using System.Reflection;
using System.Text.Json;
using ImageMeta.Testing.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace ImageMeta.Store.Tests;

/// <summary><c>/healthz</c> names the version of the service that answers: the one the build stamped from git (MinVer).</summary>
public sealed class HealthVersionTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("imagemeta-store-health-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Healthz_reports_the_service_assemblys_informational_version()
    {
        using var factory = new ServiceHost<Program>().With("Store:DataDirectory", _folder).WithLogs();
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
        var expected = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Equal(expected, body.RootElement.GetProperty("version").GetString());
        // Not a constant: MinVer's form, X.Y.Z[-pre.height] and the commit.
        Assert.Matches(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?\+[0-9a-f]{40}$", expected);
    }

    [Fact]
    public void Traces_and_metrics_carry_the_same_version_as_service_version()
    {
        using var factory = new ServiceHost<Program>().With("Store:DataDirectory", _folder).WithLogs();

        var expected = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        foreach (var resource in new[] { factory.Services.GetRequiredService<TracerProvider>().GetResource(), factory.Services.GetRequiredService<MeterProvider>().GetResource() })
        {
            var attributes = resource.Attributes.ToDictionary(a => a.Key, a => a.Value);
            Assert.Equal(expected, attributes["service.version"]);
        }
    }
}
