using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr.Pipeline;
using Microsoft.Playwright;

namespace ImageMeta.Bench.Web;

/// <summary>
/// The gallery in Chromium against a large library: the services on sidecar doubles (SQLite), the records PUT through
/// the store's API (dates spread over ten years, one every few minutes), then, each in a fresh browser context at
/// 1280 × 900: first and largest contentful paint of <c>/</c> (the paint and largest-contentful-paint entries, read
/// from the page), plain and under DevTools' "Slow 4G" (<c>Network.emulateNetworkConditions</c>); the month jump
/// (submit to focus on the month's first card, read in the page); DOM elements after paging through the browse
/// count with "Load older images".
/// </summary>
public static class WebBench
{
    /// <summary>Chrome DevTools' "Slow 4G" preset: 1.6 Mbit/s down and 750 kbit/s up, each at 90 %, and 150 ms × 3.75 latency.</summary>
    private static readonly Dictionary<string, object> Slow4G = new()
    {
        ["offline"] = false,
        ["latency"] = 562.5,
        ["downloadThroughput"] = 1.6 * 1000 * 1000 / 8 * 0.9,
        ["uploadThroughput"] = 750.0 * 1000 / 8 * 0.9,
    };

    private const string PaintScript = """
        () => new Promise(resolve => {
          const out = { fcp: null, lcp: null, lcpElement: null };
          new PerformanceObserver(list => {
            for (const e of list.getEntries()) { if (e.name === 'first-contentful-paint') { out.fcp = e.startTime; } }
          }).observe({ type: 'paint', buffered: true });
          new PerformanceObserver(list => {
            const entries = list.getEntries();
            const last = entries[entries.length - 1];
            out.lcp = last.startTime;
            out.lcpElement = last.element ? last.element.tagName.toLowerCase() + (last.element.id ? '#' + last.element.id : '') : null;
          }).observe({ type: 'largest-contentful-paint', buffered: true });
          setTimeout(() => resolve(out), 1500);
        })
        """;

    private const string JumpScript = """
        async month => {
          const select = document.getElementById('jump-month');
          select.value = month;
          const t0 = performance.now();
          document.getElementById('jump').requestSubmit();
          while (!(location.search.includes('month=' + month) && document.activeElement && document.activeElement.closest && document.activeElement.closest('li.card'))) {
            await new Promise(r => requestAnimationFrame(r));
          }
          return performance.now() - t0;
        }
        """;

    private const string BrowseScript = """
        async target => {
          const seen = new Set();
          const t0 = performance.now();
          const note = () => document.querySelectorAll('#gallery > li.card').forEach(c => seen.add(c.dataset.id));
          note();
          while (seen.size < target) {
            const more = document.getElementById('load-more');
            if (!more) { break; }
            const cards = document.querySelectorAll('#gallery > li.card');
            const last = cards[cards.length - 1].dataset.id;
            more.click();
            while (true) {
              const now = document.querySelectorAll('#gallery > li.card');
              if (now[now.length - 1].dataset.id !== last) { break; }
              await new Promise(r => setTimeout(r, 5));
            }
            note();
          }
          return { seen: seen.size, cards: document.querySelectorAll('#gallery > li.card').length, nodes: document.getElementsByTagName('*').length, ms: performance.now() - t0 };
        }
        """;

    public static async Task<string> RunAsync(WebBenchOptions options, TextWriter log)
    {
        var chromium = Environment.GetEnvironmentVariable("IMAGEMETA_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";
        await using var pipeline = await SidecarDoublePipeline.StartAsync(new PipelineSettings
        {
            Configuration = "Release",
            WorkflowEngine = () => new ImageMeta.Testing.Workflow.WorkflowEngineDouble(),
            Web = true,
            Environment = new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                [DaprTopology.AppIds.Web] = new Dictionary<string, string> { ["Web__PageSize"] = "24" },
            },
        });
        var web = new Uri($"http://localhost:{pipeline.Web!.Port.ToString(CultureInfo.InvariantCulture)}/");

        var seeding = Stopwatch.StartNew();
        var first = new DateTime(2016, 1, 1, 8, 0, 0, DateTimeKind.Unspecified);
        var step = TimeSpan.FromDays(3650) / options.Records;
        await StoreSeeding.PutAsync(pipeline.Store.BaseAddress,
            Enumerable.Range(0, options.Records).Select(i => StoreSeeding.Record($"bench/web-{i:D6}.jpg", first + (step * i))), parallel: 16);
        seeding.Stop();
        await log.WriteLineAsync($"bench: seeded {options.Records} records through the store's API in {seeding.Elapsed.TotalSeconds:F0} s");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Args = ["--no-sandbox"] });

        var plain = new List<(double Fcp, double Lcp, string? Element)>();
        var slow = new List<(double Fcp, double Lcp, string? Element)>();
        // One untimed visit warms the services and the store's caches; then fresh contexts, so the browser's cache is cold.
        await PaintAsync(browser, web, null);
        for (var i = 0; i < options.Runs; i++)
        {
            plain.Add(await PaintAsync(browser, web, null));
            slow.Add(await PaintAsync(browser, web, Slow4G));
        }

        var jumps = new List<double>();
        await using (var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } }))
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync(web.ToString());
            var months = await page.Locator("#jump-month option").EvaluateAllAsync<string[]>("o => o.map(x => x.value)");
            foreach (var index in new[] { months.Length / 2, months.Length - 1, months.Length / 4, (3 * months.Length) / 4, 1 })
            {
                jumps.Add(await page.EvaluateAsync<double>(JumpScript, months[index]));
            }
        }

        JsonElement browsed;
        await using (var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } }))
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync(web.ToString());
            browsed = await page.EvaluateAsync<JsonElement>(BrowseScript, options.Browse);
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{options.Records:N0} records (seeded through the store's API in {seeding.Elapsed.TotalSeconds:F0} s), SQLite, page size 24, 1280 × 900, {Environment.ProcessorCount} cores; {DateTime.UtcNow:yyyy-MM-ddTHH:mm}Z; load {LoadAverage()}");
        text.AppendLine();
        text.AppendLine("| measure | median | worst | target |");
        text.AppendLine("| --- | ---: | ---: | --- |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| first contentful paint, plain | {Median(plain.Select(p => p.Fcp)):F0} ms | {plain.Max(p => p.Fcp):F0} ms | |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| largest contentful paint, plain ({string.Join(", ", plain.Select(p => p.Element).Distinct())}) | {Median(plain.Select(p => p.Lcp)):F0} ms | {plain.Max(p => p.Lcp):F0} ms | |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| first contentful paint, Slow 4G | {Median(slow.Select(p => p.Fcp)):F0} ms | {slow.Max(p => p.Fcp):F0} ms | |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| largest contentful paint, Slow 4G ({string.Join(", ", slow.Select(p => p.Element).Distinct())}) | {Median(slow.Select(p => p.Lcp)):F0} ms | {slow.Max(p => p.Lcp):F0} ms | < 1500 ms |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| month jump, loopback ({jumps.Count} months) | {Median(jumps):F0} ms | {jumps.Max():F0} ms | < 500 ms |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| DOM elements after browsing {browsed.GetProperty("seen").GetInt32():N0} images ({browsed.GetProperty("cards").GetInt32()} cards left, {browsed.GetProperty("ms").GetDouble() / 1000:F0} s of paging) | {browsed.GetProperty("nodes").GetInt32():N0} | | < 5,000 |");
        return text.ToString();
    }

    private static async Task<(double Fcp, double Lcp, string? Element)> PaintAsync(IBrowser browser, Uri web, Dictionary<string, object>? network)
    {
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        if (network is not null)
        {
            var cdp = await context.NewCDPSessionAsync(page);
            await cdp.SendAsync("Network.enable");
            await cdp.SendAsync("Network.emulateNetworkConditions", network);
        }

        await page.GotoAsync(web.ToString(), new() { WaitUntil = WaitUntilState.Load, Timeout = 120_000 });
        var paint = await page.EvaluateAsync<JsonElement>(PaintScript);
        return (paint.GetProperty("fcp").GetDouble(), paint.GetProperty("lcp").GetDouble(), paint.GetProperty("lcpElement").GetString());
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
