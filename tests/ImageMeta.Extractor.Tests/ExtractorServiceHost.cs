using System.Net;
using System.Text.Json;
using ImageMeta.Blobs;
using ImageMeta.Contracts;
using ImageMeta.Testing.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ImageMeta.Extractor.Tests;

/// <summary>The extractor service in memory, its bindings answered by a local-storage fake, as the service tests host it.</summary>
internal static class ExtractorServiceHost
{
    public static WebApplicationFactory<Program> Create(IBindingInvoker storage, long maxBytes, IReadOnlyDictionary<string, string?> settings) =>
        new ServiceHost<Program>()
            .With("Blobs:LocalRootPath", LocalStorageInvokerFake.Root)
            .With("Extraction:MaxBytes", maxBytes)
            .With(settings)
            .WithServices(services => services.Replace(ServiceDescriptor.Singleton<IBindingInvoker>(storage)))
            .WithLogs();

    /// <summary>The status and failure class of a problem answer, which must be problem+json.</summary>
    public static async Task<(HttpStatusCode Status, string? FailureClass)> FailureAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, problem.RootElement.GetProperty(FailureClass.ProblemMember).GetString());
    }
}
