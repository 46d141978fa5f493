using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr;
using ImageMeta.Testing.Dapr.Pipeline;
using Xunit.Abstractions;

namespace ImageMeta.Extractor.Tests;

/// <summary>
/// The real extractor service as its own process, so its peak resident memory (VmHWM in
/// <c>/proc/&lt;pid&gt;/status</c>) is what a container's memory limit would see. Hostile load: PNGs that
/// declare 10000×10000 but are cut short (truncation forces verification), together with fifty ~10 MB JPEGs; and
/// 48 MP HEICs (which the fallback decoder can only decode whole) sent for thumbnails at once, with JPEGs beside them.
/// </summary>
public sealed class ExtractorMemoryTests(ITestOutputHelper output)
{
    /// <summary>The bound the issue sets, under the pod's 2 GiB limit with room for the runtime and native code.</summary>
    private const long PeakResidentLimit = 1536L * 1024 * 1024;

    [Fact]
    public async Task Six_hostile_pngs_and_fifty_large_jpegs_at_once_stay_under_the_memory_bound_with_classified_answers()
    {
        var root = Directory.CreateTempSubdirectory("imagemeta-extractor-memory-").FullName;
        try
        {
            await using var extractor = await StartExtractorAsync(root);
            await SendHostileLoadAsync(extractor);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [SkippableFact]
    public async Task Three_48_megapixel_heics_and_jpegs_sent_for_thumbnails_at_once_stay_under_the_memory_bound()
    {
        // 8000×6000, made here (heif-enc; the bundled libheif has no HEVC encoder): a smooth picture encodes quickly.
        using var picture = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(8000, 6000, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Opaque));
        using (var canvas = new SkiaSharp.SKCanvas(picture))
        using (var paint = new SkiaSharp.SKPaint())
        {
            paint.Shader = SkiaSharp.SKShader.CreateLinearGradient(new(0, 0), new(8000, 6000), [SkiaSharp.SKColors.Red, SkiaSharp.SKColors.Blue], SkiaSharp.SKShaderTileMode.Clamp);
            canvas.DrawRect(0, 0, 8000, 6000, paint);
        }

        var heic = FallbackSamples.Heic(FallbackSamples.Png(picture), quality: 50);
        var jpeg = HostileImages.NoiseJpeg(targetBytes: 10 * 1024 * 1024);
        await using var network = new SidecarNetwork();
        var names = Enumerable.Range(0, 3).Select(i => $"big-{i}.heic").Concat(Enumerable.Range(0, 6).Select(i => $"large-{i}.jpg")).ToArray();
        foreach (var name in names)
        {
            await File.WriteAllBytesAsync(Path.Combine(network.Images.RootPath, name), name.EndsWith(".heic", StringComparison.Ordinal) ? heic : jpeg);
        }

        var port = LoopbackPorts.Free();
        var sidecar = await network.StartSidecarAsync(new SidecarOptions { AppId = DaprTopology.AppIds.Extractor, AppPort = port, MaxBodyBytes = 64L * 1024 * 1024 });
        var env = new Dictionary<string, string>(sidecar.AppEnvironment())
        {
            ["Blobs__BindingType"] = "localstorage",
            ["Blobs__LocalRootPath"] = network.Images.RootPath,
            // The bound under test is memory; a shared machine may take longer than the default 30 s per 48 MP decode.
            ["Thumbnails__MaxRenderTime"] = "00:05:00",
            ["Blobs__CallTimeout"] = "00:05:00",
        };
        await using var extractor = await StartExtractorAsync(network.Images.RootPath, port, env);
        var pid = extractor.ProcessId ?? throw new InvalidOperationException("The extractor is not running.");

        using var client = new HttpClient { BaseAddress = extractor.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
        var answers = await Task.WhenAll(names.Select(async name =>
        {
            using var response = await client.PostAsJsonAsync("/" + DaprTopology.Methods.Thumbnail, new BlobReference("images", name), ContractJson.Options);
            return (Name: name, Answer: await Classify(response));
        }));

        var peak = ResidentKilobytes(pid, "VmHWM") * 1024;
        output.WriteLine($"peak {peak / 1024 / 1024} MB; heic {heic.Length} bytes (8000×6000), jpeg {jpeg.Length} bytes; planned per HEIC decode {FallbackDecoder.PlannedBytes(8000, 6000) / 1024 / 1024} MB");
        foreach (var group in answers.GroupBy(a => a.Answer).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{group.Count()} × {group.Key}");
        }

        Assert.True(extractor.IsRunning, $"The extractor died.\n{extractor.RecentOutput}");
        Assert.All(answers, a => Assert.True(a.Answer is "200" or "503 unavailable retry-after", $"{a.Name}: {a.Answer}\n{extractor.RecentOutput}"));
        Assert.Contains(answers, a => a.Name.EndsWith(".heic", StringComparison.Ordinal) && a.Answer == "200");
        Assert.True(peak < PeakResidentLimit, $"Peak resident memory {peak / 1024 / 1024} MB is over {PeakResidentLimit / 1024 / 1024} MB.");
    }

    private static async Task<ServiceProcess> StartExtractorAsync(string root, int? appPort = null, Dictionary<string, string>? extra = null)
    {
        var port = appPort ?? LoopbackPorts.Free();
        var configuration = typeof(ExtractorMemoryTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var dll = RepositoryLayout.ServiceAssembly(DaprTopology.AppIds.Extractor, configuration);
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            ["Blobs__LocalRootPath"] = root,
            ["Telemetry__ZipkinEndpoint"] = string.Empty,
            ["Logging__LogLevel__Default"] = "Warning",
            // The GC sizes itself as in the pod (2 GiB memory limit; the value is hexadecimal), so the
            // runtimeconfig's heap limit percent means what it means there.
            ["DOTNET_GCTotalPhysicalMemory"] = "80000000",
        };
        foreach (var (key, value) in extra ?? [])
        {
            env[key] = value;
        }

        var extractor = new ServiceProcess(DaprTopology.AppIds.Extractor, "dotnet", [dll], Path.GetDirectoryName(dll)!, port, env);
        try
        {
            await extractor.StartAsync(TimeSpan.FromSeconds(60));
            return extractor;
        }
        catch
        {
            await extractor.DisposeAsync();
            throw;
        }
    }

    private async Task SendHostileLoadAsync(ServiceProcess extractor)
    {
        var hostile = HostileImages.TruncatedPng(10_000, 10_000, keepBytes: 145 * 1024, interlaced: false);
        var hostileInterlaced = HostileImages.TruncatedPng(10_000, 10_000, keepBytes: 145 * 1024, interlaced: true);
        var jpeg = HostileImages.NoiseJpeg(targetBytes: 10 * 1024 * 1024);
        var pid = extractor.ProcessId ?? throw new InvalidOperationException("The extractor is not running.");
        var before = ResidentKilobytes(pid, "VmRSS");

        using var client = new HttpClient { BaseAddress = extractor.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        var requests = Enumerable.Range(0, 6).Select(i => (Name: $"hostile-{i}.png", Body: i % 2 == 0 ? hostile : hostileInterlaced))
            .Concat(Enumerable.Range(0, 50).Select(i => (Name: $"large-{i}.jpg", Body: jpeg)))
            .Select(async r =>
            {
                using var response = await client.PostAsync("/extract/content", new ByteArrayContent(r.Body));
                return (r.Name, Answer: await Classify(response));
            })
            .ToList();
        var answers = await Task.WhenAll(requests);

        var peak = ResidentKilobytes(pid, "VmHWM") * 1024;
        var after = ResidentKilobytes(pid, "VmRSS");
        output.WriteLine($"RSS before {before / 1024} MB, peak {peak / 1024 / 1024} MB, after {after / 1024} MB; jpeg {jpeg.Length} bytes, png {hostile.Length} bytes");
        foreach (var group in answers.GroupBy(a => a.Answer).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{group.Count()} × {group.Key}");
        }

        Assert.True(extractor.IsRunning, $"The extractor died.\n{extractor.RecentOutput}");
        Assert.All(answers, a => Assert.True(
            a.Answer is "200" or "503 unavailable retry-after" || (a.Name.EndsWith(".png", StringComparison.Ordinal) && a.Answer == "422 corrupt"),
            $"{a.Name}: {a.Answer}\n{extractor.RecentOutput}"));
        Assert.All(answers.Where(a => a.Name.EndsWith(".png", StringComparison.Ordinal)), a => Assert.NotEqual("200", a.Answer));
        Assert.True(peak < PeakResidentLimit, $"Peak resident memory {peak / 1024 / 1024} MB is over {PeakResidentLimit / 1024 / 1024} MB.");
    }

    /// <summary>"200", "422 corrupt", "503 unavailable retry-after": the status, the failure class, and whether a 503 says when to retry.</summary>
    private static async Task<string> Classify(HttpResponseMessage response)
    {
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return "200";
        }

        var body = await response.Content.ReadAsStringAsync();
        string? failureClass = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
        {
            using var problem = JsonDocument.Parse(body);
            failureClass = problem.RootElement.TryGetProperty(FailureClass.ProblemMember, out var member) ? member.GetString() : null;
        }

        var retry = response.Headers.RetryAfter is not null ? " retry-after" : string.Empty;
        return $"{(int)response.StatusCode} {failureClass ?? body}{retry}";
    }

    private static long ResidentKilobytes(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
